# debs.sh: helpers for scripts that build images from Debian's packages (sourced).
# The caller sets $debs (where .deb files are kept); messages name the calling script.
# shellcheck shell=sh

die() {
    echo "$(basename "$0" .sh): $*" >&2
    exit 1
}

kernel_package() {
    apt-cache depends linux-image-amd64 2>/dev/null |
        sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | head -n 1
}

candidate() {
    apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p'
}

# fetch PACKAGE: prints the path of PACKAGE's candidate .deb in $debs, downloading it if needed.
fetch() {
    pkg=$1
    ver=$(candidate "$pkg")
    [ -n "$ver" ] && [ "$ver" != "(none)" ] || die "apt knows no version of $pkg"
    for f in "$debs/$pkg"_*.deb; do
        if [ -f "$f" ] && [ "$(dpkg-deb -f "$f" Version)" = "$ver" ]; then
            echo "$f"
            return
        fi
    done
    rm -f "$debs/$pkg"_*.deb
    echo "$(basename "$0" .sh): downloading $pkg $ver" >&2
    (cd "$debs" && apt-get download -q -o APT::Sandbox::User=root "$pkg=$ver") >&2 ||
        die "apt-get download $pkg=$ver failed: is the network up and are the apt lists current (apt-get update)?"
    for f in "$debs/$pkg"_*.deb; do
        [ -f "$f" ] && { echo "$f"; return; }
    done
    die "apt-get download $pkg=$ver left no .deb in $debs"
}

# extract DEB PATH DEST: copies one file out of a package without unpacking the rest of it.
extract() {
    dpkg-deb --fsys-tarfile "$1" | tar -x -O -f - "./$2" > "$3" ||
        die "$1 has no /$2"
    [ -s "$3" ] || die "/$2 from $1 is empty"
}

