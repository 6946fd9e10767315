package driver

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/tensorcc/tcc/internal/rt"
)

// WritePackage writes files into directory dir (created if needed), all or
// nothing: it first writes every file into a temporary directory next to dir and
// only when that succeeded renames them into place. On error nothing in dir has
// changed (short of a failure in the middle of the final renames, which are
// atomic per file). File names must be plain names without directories.
// Files that an earlier run generated (.go and .s files whose first line is the
// tcc header) and that are not in files are removed afterwards, so that a
// kernel deleted from the source does not leave a stale file behind; no other
// file in dir is touched.
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
	return removeStale(dir, files)
}

// removeStale deletes the tcc-generated files in dir that are not in files.
func removeStale(dir string, files map[string][]byte) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("driver: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if _, keep := files[name]; keep || !e.Type().IsRegular() ||
			(!strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, ".s")) {
			continue
		}
		path := filepath.Join(dir, name)
		generated, err := hasTCCHeader(path)
		if err != nil {
			return fmt.Errorf("driver: %w", err)
		}
		if generated {
			if err := os.Remove(path); err != nil {
				return fmt.Errorf("driver: removing stale %s: %w", name, err)
			}
		}
	}
	return nil
}

// hasTCCHeader reports whether the file starts with tcc's generated-code line.
func hasTCCHeader(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	buf := make([]byte, len(rt.Header)+1)
	n, _ := io.ReadFull(f, buf)
	line := string(buf[:n])
	return line == rt.Header+"\n" || line == rt.Header+"\r", nil
}
