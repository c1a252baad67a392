package listpack_test

import (
	"fmt"

	"github.com/redoubt-db/redoubt/store/internal/listpack"
)

// A hash keeps field, value pairs; Find with skip 1 looks at fields only.
func Example_hash() {
	lp := listpack.New(64)
	lp = listpack.AppendAll(lp, []byte("name"), []byte("redoubt"), []byte("port"), []byte("6379"))

	var scratch [listpack.IntBufSize]byte
	if f := listpack.Find(lp, listpack.First(lp), []byte("port"), 1); f >= 0 {
		v := listpack.Next(lp, f)
		n, isInt := listpack.Int(lp, v)
		fmt.Println(string(listpack.Get(lp, v, scratch[:])), n, isInt)
		lp = listpack.Replace(lp, v, []byte("7000"))
	}
	// "7000" is a value, not a field: with skip 1 Find never looks at it.
	fmt.Println(listpack.Find(lp, listpack.First(lp), []byte("7000"), 1))

	for p := listpack.First(lp); p >= 0; p = listpack.Next(lp, p) {
		fmt.Print(string(listpack.Get(lp, p, scratch[:])), " ")
	}
	fmt.Println(listpack.Len(lp), len(lp) == listpack.Bytes(lp))
	// Output:
	// 6379 6379 true
	// -1
	// name redoubt port 7000 4 true
}
