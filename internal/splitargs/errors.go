package splitargs

import "errors"

// ErrUnbalancedQuotes is returned by Split for every malformed line: a quote
// that is never closed, or a closing quote followed by something other than
// a blank or the end of the line. Redis answers an inline command that
// fails this way with "Protocol error: unbalanced quotes in request".
var ErrUnbalancedQuotes = errors.New("splitargs: unbalanced quotes")
