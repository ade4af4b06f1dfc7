package disk

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// openDB opens (or creates) the bbolt file of o and checks its format. Every
// error names the file and says what to do.
func openDB(o *Options) (db *bolt.DB, err error) {
	path := o.Path
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("disk: %s: cannot create its directory: %w", path, err)
		}
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("disk: %s is a directory: give the path of a file", path)
	}
	// bbolt panics on some damaged files rather than returning an error.
	defer func() {
		if p := recover(); p != nil {
			if db != nil {
				_ = db.Close()
			}
			db, err = nil, corrupt(path, fmt.Errorf("%v", p))
		}
	}()
	db, err = bolt.Open(path, 0o600, &bolt.Options{
		Timeout:         o.LockTimeout,
		FreelistType:    bolt.FreelistMapType,
		InitialMmapSize: o.mmapSize(),
		NoStatistics:    true,
	})
	switch {
	case err == nil:
	case errors.Is(err, berrors.ErrTimeout):
		return nil, fmt.Errorf("%w: %s (waited %v): stop the process that has it open (another hitboxd with the same path?) or give this one another path", ErrFileLocked, path, o.LockTimeout)
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum), errors.Is(err, berrors.ErrVersionMismatch):
		return nil, corrupt(path, err)
	case errors.Is(err, fs.ErrPermission):
		return nil, fmt.Errorf("disk: %s: %w: give the process read and write access to the file and its directory", path, err)
	default:
		// bbolt reports a file too short for its pages with plain
		// errors (no sentinel): an existing non-empty file it cannot
		// read is treated as corrupt.
		if fi, serr := os.Stat(path); serr == nil && fi.Mode().IsRegular() && fi.Size() > 0 {
			return nil, corrupt(path, err)
		}
		return nil, fmt.Errorf("disk: open %s: %w", path, err)
	}
	db.AllocSize = o.allocSize()
	if err := initFile(db, path); err != nil {
		_ = db.Close()
		return nil, err
	}
	return db, nil
}

func corrupt(path string, cause error) error {
	return fmt.Errorf("%w: %s (%v): it only holds cached entries, so delete it (or move it aside) and start again with an empty cache", ErrCorrupt, path, cause)
}

// initFile creates the buckets of a new file, or checks those of an
// existing one.
func initFile(db *bolt.DB, path string) error {
	return db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(metaBucket)
		if meta == nil {
			empty := true
			if err := tx.ForEach(func([]byte, *bolt.Bucket) error { empty = false; return nil }); err != nil {
				return corrupt(path, err)
			}
			if !empty {
				return fmt.Errorf("%w: %s is a bbolt file of another program (no hitbox meta bucket): give another path, hitbox leaves it alone", ErrFormat, path)
			}
			var err error
			if meta, err = tx.CreateBucket(metaBucket); err != nil {
				return fmt.Errorf("disk: %s: %w", path, err)
			}
			if err := meta.Put(formatKey, []byte{formatVersion}); err != nil {
				return fmt.Errorf("disk: %s: %w", path, err)
			}
		}
		v := meta.Get(formatKey)
		if len(v) != 1 || v[0] != formatVersion {
			got := "unreadable"
			if len(v) == 1 {
				got = fmt.Sprint(v[0])
			}
			return fmt.Errorf("%w: %s has format version %s, this build reads %d: delete the file (it only holds cached entries) or give another path", ErrFormat, path, got, formatVersion)
		}
		for _, name := range [][]byte{entriesBucket, expiryBucket, orderBucket, tagsBucket} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return corrupt(path, fmt.Errorf("bucket %s: %w", name, err))
			}
		}
		return nil
	})
}
