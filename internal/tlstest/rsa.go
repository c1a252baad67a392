package tlstest

import (
	"crypto/rand"
	"crypto/rsa"
)

func rsaKey() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) }
