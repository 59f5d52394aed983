package pg

import "github.com/jackc/pgx/v5/pgproto3"

// SQLSTATE codes of class CP, Chaperone's own. A client sees them exactly as
// it sees the server's errors.
const (
	CodeHeld        = "CP001" // held for human approval
	CodeDenied      = "CP002" // denied by the policy
	CodeHumanDenied = "CP003" // a human denied the request
	CodeHookFailed  = "CP004" // the pre-execution step (a snapshot) failed; nothing ran
	CodeUndecidable = "CP005" // Chaperone could not decide (state unavailable): fail closed
)

func fatal(code, msg string) *pgproto3.ErrorResponse {
	return &pgproto3.ErrorResponse{Severity: "FATAL", SeverityUnlocalized: "FATAL", Code: code, Message: msg}
}

func pgError(code, msg, detail, hint string) *pgproto3.ErrorResponse {
	return &pgproto3.ErrorResponse{Severity: "ERROR", SeverityUnlocalized: "ERROR", Code: code, Message: msg, Detail: detail, Hint: hint}
}
