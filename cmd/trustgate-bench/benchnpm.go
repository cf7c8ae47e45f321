package main

import (
	"fmt"
	"maps"

	"trustgate/internal/npmlibs"
	"trustgate/internal/pkgzip"
)

// npmPackage is a real component library wrapped as a one-page app.
type npmPackage struct {
	platform string
	files    map[string]string
}

// npmLibraryPackages reads the libraries from the npm cache folder,
// packing the missing ones with `npm pack`.
func npmLibraryPackages() ([]npmPackage, error) {
	tarballs, err := npmlibs.Pack()
	if err != nil {
		return nil, err
	}
	out := make([]npmPackage, 0, len(tarballs))
	for i, lib := range npmlibs.Libraries {
		files, _, err := lib.App(tarballs[i])
		if err != nil {
			return nil, err
		}
		out = append(out, npmPackage{platform: lib.Platform, files: files})
	}
	return out, nil
}

// zip zips the app; salt, written into app.js, makes each copy differ.
func (p npmPackage) zip(salt int) ([]byte, error) {
	files := maps.Clone(p.files)
	files["app.js"] = fmt.Sprintf("App({ build: %d })", salt)
	return pkgzip.Files(files)
}
