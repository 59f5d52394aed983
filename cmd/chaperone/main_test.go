package main

import (
	"testing"

	"github.com/chaperone/chaperone/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }
