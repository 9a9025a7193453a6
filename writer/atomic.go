package writer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
)

// fileMode is the mode of the output: it holds personal data.
const fileMode os.FileMode = 0o600

// partialName is where the output is written until Commit: in the target's
// folder (so the rename is atomic), hidden, and named after the target so
// that a leftover is recognisable and reused by the next run.
func partialName(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".partial")
}

// createPartial checks the target's folder and opens the partial file,
// truncated, mode 0600 whatever the umask or a leftover's mode.
func createPartial(path string) (*os.File, string, error) {
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, "", fmt.Errorf("writer: output folder %s does not exist", dir)
	case err != nil:
		return nil, "", fmt.Errorf("writer: output folder %s: %w", dir, err)
	case !st.IsDir():
		return nil, "", fmt.Errorf("writer: output folder %s is not a folder", dir)
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return nil, "", fmt.Errorf("writer: output %s is a folder", path)
	}
	partial := partialName(path)
	f, err := os.OpenFile(partial, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, fileMode)
	if err != nil {
		return nil, "", fmt.Errorf("writer: cannot write the output %s: %w", path, err)
	}
	if err := f.Chmod(fileMode); err != nil {
		_ = f.Close()
		_ = os.Remove(partial)
		return nil, "", fmt.Errorf("writer: cannot write the output %s: %w", path, err)
	}
	return f, partial, nil
}

// commitPartial makes f, the complete partial file, the target: fsync,
// close, rename, fsync the folder (so the rename itself survives a crash).
// An error before the rename leaves the target as it was.
func commitPartial(f *os.File, partial, path string) error {
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return fmt.Errorf("writer: %s: fsync: %w (left unchanged)", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writer: %s: %w (left unchanged)", path, err)
	}
	if err := os.Rename(partial, path); err != nil {
		return fmt.Errorf("writer: %s: %w (left unchanged)", path, err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("writer: %s written, but its folder: %w", path, err)
	}
	return nil
}

// syncDir fsyncs a folder so that a rename in it is durable. File systems
// that cannot sync a folder (EINVAL, ENOTSUP) are accepted as they are.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil // folders cannot be opened for sync; renames are durable there
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP) {
		err = nil
	}
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
