package driver

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// WritePackage writes files into directory dir (created if needed), all or
// nothing: it first writes every file into a temporary directory next to dir and
// only when that succeeded renames them into place. On error nothing in dir has
// changed (short of a failure in the middle of the final renames, which are
// atomic per file). File names must be plain names without directories.
func WritePackage(dir string, files map[string][]byte) (err error) {
	for name := range files {
		if name == "" || name != filepath.Base(name) || name == "." || name == ".." || strings.ContainsAny(name, `/\`) {
			return fmt.Errorf("driver: invalid file name %q", name)
		}
	}
	if err := os.MkdirAll(filepath.Dir(filepath.Clean(dir)), 0o755); err != nil {
		return fmt.Errorf("driver: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(filepath.Clean(dir)), "."+filepath.Base(dir)+".tcc-")
	if err != nil {
		return fmt.Errorf("driver: %w", err)
	}
	defer func() {
		if rerr := os.RemoveAll(tmp); rerr != nil && err == nil {
			err = fmt.Errorf("driver: removing temporary directory: %w", rerr)
		}
	}()
	for _, name := range sortedKeys(files) {
		if err := os.WriteFile(filepath.Join(tmp, name), files[name], 0o644); err != nil {
			return fmt.Errorf("driver: %w", err)
		}
	}
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return fmt.Errorf("driver: %s exists and is not a directory", dir)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("driver: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("driver: %w", err)
	}
	for _, name := range sortedKeys(files) {
		if err := os.Rename(filepath.Join(tmp, name), filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("driver: %w", err)
		}
	}
	return nil
}
