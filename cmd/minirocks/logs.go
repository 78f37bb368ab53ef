package main

import (
	vtlog "github.com/dolthub/vitess/go/vt/log"
)

// quietLibraryLogs silences the MySQL protocol library's own logging, which
// goes to stderr and may echo statement text; the FE logs what matters in
// fe.log itself. The library exposes its logger only as package variables,
// so this is done once here, at process start.
func quietLibraryLogs() {
	discard := func(...any) {}
	discardf := func(string, ...any) {}
	vtlog.Info, vtlog.Infof = discard, discardf
	vtlog.Warning, vtlog.Warningf = discard, discardf
	vtlog.Error, vtlog.Errorf = discard, discardf
}
