// Command proxyload is the load generator of bench/proxy.sh. wrk cannot
// speak through a forward proxy, so every target of that benchmark (the
// MITM proxy, /u/<upstream>/ and nginx) is driven by this one program:
// CONNS keep-alive connections, each sending the same POST back to back
// for DURATION, and it prints the rate, the p99 latency and any answer
// other than 200.
package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	target := flag.String("url", "", "URL to POST to")
	proxy := flag.String("proxy", "", "forward proxy URL (http://host:port)")
	cacert := flag.String("cacert", "", "PEM file of a CA to trust")
	token := flag.String("token", "", "sent as Authorization: Bearer")
	body := flag.String("body", `{"query":"query Me { me { id name email } }","operationName":"Me"}`, "request body")
	conns := flag.Int("conns", 32, "connections")
	duration := flag.Duration("duration", 10*time.Second, "how long to send")
	flag.Parse()
	tr := &http.Transport{MaxIdleConnsPerHost: *conns, MaxConnsPerHost: *conns, TLSClientConfig: &tls.Config{}}
	if *proxy != "" {
		u, err := url.Parse(*proxy)
		if err != nil {
			log.Fatal(err)
		}
		tr.Proxy = http.ProxyURL(u)
	}
	if *cacert != "" {
		pem, err := os.ReadFile(*cacert)
		if err != nil {
			log.Fatal(err)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		tr.TLSClientConfig.RootCAs = pool
	}
	client := &http.Client{Transport: tr}
	send := func() (int, error) {
		req, _ := http.NewRequest("POST", *target, bytes.NewReader([]byte(*body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+*token)
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	if code, err := send(); err != nil || code != 200 {
		log.Fatalf("first request: %d %v", code, err)
	}
	var n, bad atomic.Int64
	lat := make([][]time.Duration, *conns)
	var wg sync.WaitGroup
	stop := time.Now().Add(*duration)
	start := time.Now()
	for i := 0; i < *conns; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for time.Now().Before(stop) {
				t0 := time.Now()
				code, err := send()
				lat[i] = append(lat[i], time.Since(t0))
				n.Add(1)
				if err != nil || code != 200 {
					bad.Add(1)
				}
			}
		}(i)
	}
	wg.Wait()
	elapsed := time.Since(start)
	all := slices.Concat(lat...)
	slices.Sort(all)
	p99 := all[len(all)*99/100]
	fmt.Printf("requests/s %.0f p99 %.2fms non-200 %d\n", float64(n.Load())/elapsed.Seconds(), float64(p99.Microseconds())/1000, bad.Load())
}
