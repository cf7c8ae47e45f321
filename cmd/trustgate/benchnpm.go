package main

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"trustgate/internal/pkgzip"
)

// npmPackage is a real component library as the platforms' tools vendor it.
// The same libraries (and the same cache folder) as the scanner's tests.
type npmPackage struct {
	spec, tarball, dist, vendorAs, platform, component string
	files                                              map[string]string
}

var benchLibraries = []npmPackage{
	{spec: "antd-mini@3.4.3", tarball: "antd-mini-3.4.3.tgz", dist: "es", vendorAs: "node_modules/antd-mini/es", platform: "alipay", component: "antd-mini/es/Button/index"},
	{spec: "@vant/weapp@1.11.7", tarball: "vant-weapp-1.11.7.tgz", dist: "lib", vendorAs: "miniprogram_npm/@vant/weapp", platform: "wechat", component: "@vant/weapp/button/index"},
	{spec: "tdesign-miniprogram@1.16.0", tarball: "tdesign-miniprogram-1.16.0.tgz", dist: "miniprogram_dist", vendorAs: "miniprogram_npm/tdesign-miniprogram", platform: "wechat", component: "tdesign-miniprogram/button/button"},
	{spec: "weui-miniprogram@1.5.6", tarball: "weui-miniprogram-1.5.6.tgz", dist: "miniprogram_dist", vendorAs: "miniprogram_npm/weui-miniprogram", platform: "wechat", component: "weui-miniprogram/dialog/dialog"},
}

// npmLibraryPackages reads the libraries from the npm cache folder,
// packing the missing ones with `npm pack`.
func npmLibraryPackages() ([]npmPackage, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	dir := filepath.Join(base, "trustgate-npm")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var out []npmPackage
	for _, lib := range benchLibraries {
		tgz := filepath.Join(dir, lib.tarball)
		if _, err := os.Stat(tgz); err != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			cmd := exec.CommandContext(ctx, "npm", "pack", lib.spec, "--silent", "--pack-destination", dir)
			cmd.Dir = dir
			msg, err := cmd.CombinedOutput()
			cancel()
			if err != nil {
				return nil, fmt.Errorf("npm pack %s: %w: %s", lib.spec, err, strings.TrimSpace(string(msg)))
			}
		}
		if lib.files, err = readDist(tgz, lib.dist, lib.vendorAs); err != nil {
			return nil, fmt.Errorf("read %s: %w", lib.spec, err)
		}
		out = append(out, lib)
	}
	return out, nil
}

func readDist(tgz, dist, vendorAs string) (map[string]string, error) {
	f, err := os.Open(tgz)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	files := map[string]string{}
	tr := tar.NewReader(gz)
	prefix := "package/" + dist + "/"
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if hdr.Typeflag != tar.TypeReg || !strings.HasPrefix(hdr.Name, prefix) {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		files[vendorAs+"/"+strings.TrimPrefix(hdr.Name, prefix)] = string(b)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no files under %s", prefix)
	}
	return files, nil
}

// zip wraps the library in a one-page app; salt makes each copy differ.
func (p npmPackage) zip(salt int) ([]byte, error) {
	files := make(map[string]string, len(p.files)+6)
	for k, v := range p.files {
		files[k] = v
	}
	files["app.json"] = `{"pages":["pages/index/index"]}`
	files["app.js"] = fmt.Sprintf("App({ build: %d })", salt)
	files["pages/index/index.js"] = "Page({ data: { title: 'Hello' } })"
	files["pages/index/index.json"] = `{"usingComponents":{"lib-component":"` + p.component + `"}}`
	if p.platform == "alipay" {
		files["mini.project.json"] = `{"format":2,"compileType":"mini"}`
		files["pages/index/index.axml"] = `<lib-component>{{title}}</lib-component>`
	} else {
		files["project.config.json"] = `{"compileType":"miniprogram"}`
		files["pages/index/index.wxml"] = `<lib-component>{{title}}</lib-component>`
	}
	return pkgzip.Files(files)
}
