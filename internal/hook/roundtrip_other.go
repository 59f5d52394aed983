//go:build !unix

package hook

import (
	"errors"
	"time"
)

func roundTrip(string, []byte, time.Duration) ([]byte, error) {
	return nil, errors.New("hook sockets need a unix system")
}
