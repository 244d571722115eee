/** RFC 9457 problem details: the body of every error the API answers (application/problem+json). */

export interface FieldError {
  /** Dotted path of the failing value: `fn`, `tasks[3].delay`, `wait`. */
  field: string;
  message: string;
}

export interface Problem {
  /** `urn:edgeq:problem:<kind>`, to switch on ("about:blank" when it is not edgeq's). */
  type: string;
  title: string;
  status: number;
  detail: string;
  /** Each failing field of a 400. */
  errors?: FieldError[];
  /** The database at fault (a 503 when the deployment has several). */
  database?: string;
}
