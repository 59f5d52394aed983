// Command apistub is the cloud API behind bench/http.sh: it answers every
// request with the same small GraphQL result, so that what the benchmark
// measures is the proxy in front of it.
package main

import (
	"flag"
	"io"
	"log"
	"net/http"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	flag.Parse()
	body := []byte(`{"data":{"me":{"id":"user_1","name":"Bench User"}}}`)
	log.Fatal(http.ListenAndServe(*addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if r.Header.Get("Authorization") != "Bearer BENCH-CREDENTIAL" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})))
}
