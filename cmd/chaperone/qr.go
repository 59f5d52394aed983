package main

import (
	"io"
	"strings"

	"github.com/boombuler/barcode/qr"
)

// writeQR draws text as a QR code with Unicode half blocks, two rows of
// modules per line, inside the quiet zone the standard asks for.
func writeQR(w io.Writer, text string) error {
	code, err := qr.Encode(text, qr.M, qr.Auto)
	if err != nil {
		return err
	}
	const quiet = 2
	size := code.Bounds().Dx()
	dark := func(x, y int) bool {
		x, y = x-quiet, y-quiet
		if x < 0 || y < 0 || x >= size || y >= size {
			return false
		}
		r, _, _, _ := code.At(x, y).RGBA()
		return r == 0
	}
	var b strings.Builder
	for y := 0; y < size+2*quiet; y += 2 {
		for x := 0; x < size+2*quiet; x++ {
			// Light modules are drawn and dark ones left blank: on the
			// usual light-on-dark terminal that is dark on light, as
			// scanners expect. The secret is printed as text as well.
			switch top, bottom := dark(x, y), dark(x, y+1); {
			case top && bottom:
				b.WriteString(" ")
			case top:
				b.WriteString("▄")
			case bottom:
				b.WriteString("▀")
			default:
				b.WriteString("█")
			}
		}
		b.WriteString("\n")
	}
	_, err = io.WriteString(w, b.String())
	return err
}
