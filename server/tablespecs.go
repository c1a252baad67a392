package server

// Key specs and argument docs that several command groups share. Table
// entries point at these rather than at copies of them: nothing changes a
// key spec or an argument once the table is built, so sharing is safe.

// Specs of a single key at argument 1, named after their flags.
var (
	ksKeyRO             = []KeySpec{{Flags: KeyRO, Index: 1, KeyStep: 1}}
	ksKeyROAccess       = []KeySpec{{Flags: KeyRO | KeyAccess, Index: 1, KeyStep: 1}}
	ksKeyRWUpdate       = []KeySpec{{Flags: KeyRW | KeyUpdate, Index: 1, KeyStep: 1}}
	ksKeyRWAccessUpdate = []KeySpec{{Flags: KeyRW | KeyAccess | KeyUpdate, Index: 1, KeyStep: 1}}
)

// Key arguments, for COMMAND DOCS.
var (
	argKey     = Arg{Name: "key", Type: ArgKey}
	argsOneKey = []Arg{argKey}
	argsKeys   = []Arg{{Name: "key", Type: ArgKey, Flags: ArgMultiple}}
)
