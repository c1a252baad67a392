package store

import "errors"

// Errors returned by store operations. The server maps each to Redis's exact
// reply text; nothing here is sent to clients as is.
var (
	// ErrWrongType means the key holds a value of another type.
	ErrWrongType = errors.New("store: wrong type")
	// ErrNotInteger means a value or argument is not a 64-bit integer.
	ErrNotInteger = errors.New("store: value is not an integer")
	// ErrNotFloat means a value or argument is not a valid float.
	ErrNotFloat = errors.New("store: value is not a valid float")
	// ErrOverflow means an increment would overflow.
	ErrOverflow = errors.New("store: increment or decrement would overflow")
	// ErrNaNOrInf means a float increment would give NaN or an infinity.
	ErrNaNOrInf = errors.New("store: increment would produce NaN or Infinity")
	// ErrTooLarge means a string would exceed the maximum size.
	ErrTooLarge = errors.New("store: string exceeds maximum allowed size")
	// ErrNoSuchKey means the source key of RENAME and the like is missing.
	ErrNoSuchKey = errors.New("store: no such key")
)

// Errors of the generic key commands.
var (
	// ErrSameObject means a COPY or MOVE names the same key in the same
	// database as source and destination.
	ErrSameObject = errors.New("store: source and destination objects are the same")
)
