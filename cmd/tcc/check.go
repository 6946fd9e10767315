package main

import (
	"io"
)

func runCheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("check", "FILE...\n\nCheck runs the front end on the files (as one program) and prints each\nerror as FILE:LINE:COL: message, one per line.", stderr)
	files, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usagef("no files")
	}
	_, err = compileFiles(files, stderr)
	return err
}
