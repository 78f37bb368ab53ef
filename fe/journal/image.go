package journal

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/raft"
)

// ImageFormatVersion is the FormatVersion written into new image headers.
const ImageFormatVersion = 1

const (
	imageDirName    = "image"
	imagePrefix     = "image."
	corruptSuffix   = ".corrupt"
	tmpSuffix       = ".tmp"
	headerMagic     = "MRIMAGE\n" // first 8 bytes of an image (and of the InstallSnapshot stream)
	trailerMagic    = "MRIMGEND"  // last 8 bytes of an image file
	trailerSize     = 4 + 8 + 4 + 8
	maxHeaderJSON   = 1 << 20
	maxFooterJSON   = 16 << 20
	headerPrefixLen = len(headerMagic) + 4
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrCorruptImage is wrapped by errors about images whose checksum, framing
// or header do not verify.
var ErrCorruptImage = errors.New("journal: corrupt image")

// ErrImageFormat is wrapped by errors about images of a format version this
// build does not read (written by a newer minirocks). Such an image is not
// corrupt: it is neither moved aside nor overwritten.
var ErrImageFormat = errors.New("journal: unsupported image format")

// ErrImageNotFound is wrapped by errors about an image that does not exist
// (never taken, or already deleted by retention), and by Checkpoint's error
// when nothing was ever applied, so that there is no image to return.
var ErrImageNotFound = errors.New("journal: image not found")

// Server is one member of the raft configuration: a follower (Voter) or an
// observer (non-voter), identified by its FE name and edit_log address.
type Server struct {
	ID    string // raft server id (FE name)
	Addr  string // host:edit_log_port
	Voter bool   // true for a follower, false for an observer
}

// ImageHeader describes an image. FormatVersion, FEJournalID, JournalIDs
// and Created travel at the start of the image body (and so in the
// InstallSnapshot stream too); Term, ConfigurationIndex and Servers are raft
// metadata from the image file's footer (zero when unknown).
type ImageHeader struct {
	// FormatVersion is the image format version (ImageFormatVersion).
	FormatVersion int
	// FEJournalID is the journal id (raft index) the state is as of; it is
	// also the <id> in the file name image.<id>.
	FEJournalID uint64
	// JournalIDs are the named journal ids the state machine reported for
	// the same point (StateSnapshot.JournalIDs), e.g. the FE's
	// {"starmgr": <StarManager journal id>}. Each is stored in the header
	// JSON as "<name>_journal_id", so an image written before names were
	// generic ("starmgr_journal_id") reads back as {"starmgr": ...}. Nil
	// when the header carries none.
	JournalIDs map[string]uint64
	// Created is when the image was taken (on the node that took it).
	Created time.Time
	// Term is the raft term of the entry at FEJournalID.
	Term uint64
	// ConfigurationIndex is the raft index of the membership in Servers.
	ConfigurationIndex uint64
	// Servers is the committed raft membership as of the image.
	Servers []Server
}

// ImageInfo describes an image file: one found by ListImages, the one a
// Checkpoint wrote, or a held one (HeldImage.Info).
type ImageInfo struct {
	// Path is the image file's path.
	Path string
	// JournalID is the journal id from the file name.
	JournalID uint64
	// Size is the file size in bytes.
	Size int64
	// Header is the image header (valid when Err is nil).
	Header ImageHeader
	// Err is set (by ListImages) when the header or footer cannot be read;
	// the checksum is only verified by OpenImage and HeldImage.Verify.
	Err error
}

// Keys of the header JSON. Named journal ids use "<name>" + journalIDSuffix;
// fe_journal_id is the journal's own, so "fe" is not a valid name.
const (
	keyFormatVersion = "format_version"
	keyFEJournalID   = "fe_journal_id"
	keyCreated       = "created"
	journalIDSuffix  = "_journal_id"
	reservedIDName   = "fe"
)

// checkJournalIDName accepts the names a state machine may give its journal
// ids: non-empty, lower-case letters, digits and '_', and not "fe" (whose
// key fe_journal_id is the journal's own).
func checkJournalIDName(name string) error {
	if name == "" {
		return errors.New("empty journal id name")
	}
	if name == reservedIDName {
		return fmt.Errorf("journal id name %q is reserved for the journal's own id", name)
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return fmt.Errorf("journal id name %q: only a-z, 0-9 and _ are allowed", name)
		}
	}
	return nil
}

// encodeHeaderJSON is the JSON of the header inside the image stream:
//
//	{"format_version":1,"fe_journal_id":N,"<name>_journal_id":M,...,"created":"..."}
//
// with the named ids sorted by name. With JournalIDs {"starmgr": M} the bytes
// are exactly those of the format before ids were named generically.
func encodeHeaderJSON(h ImageHeader) ([]byte, error) {
	names := make([]string, 0, len(h.JournalIDs))
	for name := range h.JournalIDs {
		if err := checkJournalIDName(name); err != nil {
			return nil, err
		}
		names = append(names, name)
	}
	sort.Strings(names)
	created, err := json.Marshal(h.Created)
	if err != nil {
		return nil, fmt.Errorf("created time: %w", err)
	}
	b := make([]byte, 0, 96+32*len(names))
	b = append(b, `{"`+keyFormatVersion+`":`...)
	b = strconv.AppendInt(b, int64(h.FormatVersion), 10)
	b = append(b, `,"`+keyFEJournalID+`":`...)
	b = strconv.AppendUint(b, h.FEJournalID, 10)
	for _, name := range names {
		b = append(b, `,"`...)
		b = append(b, name...)
		b = append(b, journalIDSuffix+`":`...)
		b = strconv.AppendUint(b, h.JournalIDs[name], 10)
	}
	b = append(b, `,"`+keyCreated+`":`...)
	b = append(b, created...)
	b = append(b, '}')
	return b, nil
}

// decodeHeaderJSON parses the header JSON. Every key "<name>_journal_id"
// other than fe_journal_id becomes JournalIDs[name]; unknown keys are
// ignored so that a newer writer's additions do not break an older reader.
func decodeHeaderJSON(js []byte) (ImageHeader, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(js, &raw); err != nil {
		return ImageHeader{}, err
	}
	var h ImageHeader
	for key, v := range raw {
		var err error
		switch key {
		case keyFormatVersion:
			err = json.Unmarshal(v, &h.FormatVersion)
		case keyFEJournalID:
			err = json.Unmarshal(v, &h.FEJournalID)
		case keyCreated:
			err = json.Unmarshal(v, &h.Created)
		default:
			name, ok := strings.CutSuffix(key, journalIDSuffix)
			if !ok || name == "" {
				continue
			}
			var id uint64
			if err = json.Unmarshal(v, &id); err == nil {
				if h.JournalIDs == nil {
					h.JournalIDs = make(map[string]uint64)
				}
				h.JournalIDs[name] = id
			}
		}
		if err != nil {
			return ImageHeader{}, fmt.Errorf("%s: %w", key, err)
		}
	}
	return h, nil
}

// footerJSON is the raft metadata in the image file's footer.
type footerJSON struct {
	SnapshotVersion    int          `json:"snapshot_version"`
	Index              uint64       `json:"index"`
	Term               uint64       `json:"term"`
	ConfigurationIndex uint64       `json:"configuration_index"`
	Servers            []serverJSON `json:"servers"`
}

type serverJSON struct {
	ID       string `json:"id"`
	Address  string `json:"address"`
	Suffrage string `json:"suffrage"` // Voter, Nonvoter, Staging
}

func encodeServers(c raft.Configuration) []serverJSON {
	out := make([]serverJSON, 0, len(c.Servers))
	for _, s := range c.Servers {
		out = append(out, serverJSON{ID: string(s.ID), Address: string(s.Address), Suffrage: s.Suffrage.String()})
	}
	return out
}

func (f *footerJSON) configuration() raft.Configuration {
	var c raft.Configuration
	for _, s := range f.Servers {
		suf := raft.Voter
		switch s.Suffrage {
		case "Nonvoter":
			suf = raft.Nonvoter
		case "Staging":
			suf = raft.Staging
		}
		c.Servers = append(c.Servers, raft.Server{Suffrage: suf, ID: raft.ServerID(s.ID), Address: raft.ServerAddress(s.Address)})
	}
	return c
}

func (f *footerJSON) servers() []Server {
	out := make([]Server, 0, len(f.Servers))
	for _, s := range f.Servers {
		out = append(out, Server{ID: s.ID, Addr: s.Address, Voter: s.Suffrage == "Voter"})
	}
	return out
}

// writeImageHeader writes the header that starts every image stream.
func writeImageHeader(w io.Writer, h ImageHeader) error {
	js, err := encodeHeaderJSON(h)
	if err != nil {
		return fmt.Errorf("journal: image header: %w", err)
	}
	buf := make([]byte, 0, headerPrefixLen+len(js))
	buf = append(buf, headerMagic...)
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(js)))
	buf = append(buf, js...)
	_, err = w.Write(buf)
	return err
}

// readImageHeader reads exactly the header from the start of an image
// stream, leaving r positioned at the body.
// It also returns the header's length in bytes.
func readImageHeader(r io.Reader) (ImageHeader, int64, error) {
	var pre [headerPrefixLen]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return ImageHeader{}, 0, fmt.Errorf("%w: reading header: %v", ErrCorruptImage, err)
	}
	if string(pre[:len(headerMagic)]) != headerMagic {
		return ImageHeader{}, 0, fmt.Errorf("%w: bad header magic", ErrCorruptImage)
	}
	n := binary.BigEndian.Uint32(pre[len(headerMagic):])
	if n > maxHeaderJSON {
		return ImageHeader{}, 0, fmt.Errorf("%w: header length %d", ErrCorruptImage, n)
	}
	js := make([]byte, n)
	if _, err := io.ReadFull(r, js); err != nil {
		return ImageHeader{}, 0, fmt.Errorf("%w: reading header: %v", ErrCorruptImage, err)
	}
	h, err := decodeHeaderJSON(js)
	if err != nil {
		return ImageHeader{}, 0, fmt.Errorf("%w: header: %v", ErrCorruptImage, err)
	}
	if h.FormatVersion < 1 || h.FormatVersion > ImageFormatVersion {
		return ImageHeader{}, 0, fmt.Errorf("%w: image format version %d is not supported (this build reads 1..%d); an image written by a newer minirocks is read only by that version or a later one",
			ErrImageFormat, h.FormatVersion, ImageFormatVersion)
	}
	return h, int64(headerPrefixLen) + int64(n), nil
}

// imageFooter is what the trailer and footer of an image file say.
type imageFooter struct {
	meta       footerJSON
	streamSize int64  // bytes of header+body (what raft streams)
	crc        uint32 // stored CRC32-C
	fileSize   int64
	bodyStart  int64 // offset of the body; set by verifyImageFile
}

// readFooter reads and sanity-checks the footer of an open image file
// without verifying the checksum.
func readFooter(f *os.File) (imageFooter, error) {
	st, err := f.Stat()
	if err != nil {
		return imageFooter{}, err
	}
	size := st.Size()
	if size < int64(headerPrefixLen+trailerSize) {
		return imageFooter{}, fmt.Errorf("%w: truncated (%d bytes)", ErrCorruptImage, size)
	}
	var tr [trailerSize]byte
	if _, err := f.ReadAt(tr[:], size-trailerSize); err != nil {
		return imageFooter{}, err
	}
	if string(tr[16:]) != trailerMagic {
		return imageFooter{}, fmt.Errorf("%w: bad trailer magic (torn or truncated file)", ErrCorruptImage)
	}
	metaLen := int64(binary.BigEndian.Uint32(tr[0:4]))
	stream := int64(binary.BigEndian.Uint64(tr[4:12]))
	crc := binary.BigEndian.Uint32(tr[12:16])
	if metaLen > maxFooterJSON || stream < int64(headerPrefixLen) || stream+metaLen+trailerSize != size {
		return imageFooter{}, fmt.Errorf("%w: inconsistent footer sizes", ErrCorruptImage)
	}
	js := make([]byte, metaLen)
	if _, err := f.ReadAt(js, stream); err != nil {
		return imageFooter{}, err
	}
	out := imageFooter{streamSize: stream, crc: crc, fileSize: size}
	if err := json.Unmarshal(js, &out.meta); err != nil {
		return imageFooter{}, fmt.Errorf("%w: footer: %v", ErrCorruptImage, err)
	}
	return out, nil
}

// verifyImageFile checks framing and checksum of an image file and returns
// its footer and header. Errors wrapping ErrCorruptImage mean the content is
// bad; other errors are I/O errors.
// The returned footer's bodyStart is set.
func verifyImageFile(f *os.File) (imageFooter, ImageHeader, error) {
	// The format version is read first: a newer format may frame the rest
	// differently, and such an image is refused as newer, not as corrupt.
	if _, _, err := readImageHeader(io.NewSectionReader(f, 0, 1<<62)); errors.Is(err, ErrImageFormat) {
		return imageFooter{}, ImageHeader{}, err
	}
	ft, err := readFooter(f)
	if err != nil {
		return ft, ImageHeader{}, err
	}
	h := crc32.New(castagnoli)
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, ft.fileSize-12)); err != nil {
		return ft, ImageHeader{}, err
	}
	if h.Sum32() != ft.crc {
		return ft, ImageHeader{}, fmt.Errorf("%w: checksum mismatch", ErrCorruptImage)
	}
	hdr, hlen, err := readImageHeader(io.NewSectionReader(f, 0, ft.streamSize))
	if err != nil {
		return ft, hdr, err
	}
	ft.bodyStart = hlen
	if hdr.FEJournalID != ft.meta.Index {
		return ft, hdr, fmt.Errorf("%w: header journal id %d != raft index %d", ErrCorruptImage, hdr.FEJournalID, ft.meta.Index)
	}
	fillRaftMeta(&hdr, &ft.meta)
	return ft, hdr, nil
}

func fillRaftMeta(h *ImageHeader, m *footerJSON) {
	h.Term = m.Term
	h.ConfigurationIndex = m.ConfigurationIndex
	h.Servers = m.servers()
}

// OpenImage opens the image file at path, verifies its checksum and framing,
// and returns its header (including raft metadata) and a reader of the body
// (the bytes StateSnapshot.WriteTo wrote). The caller must close the reader.
//
// Image file format (all integers big-endian):
//
//	header:  "MRIMAGE\n" | uint32 n | n bytes JSON {format_version, fe_journal_id, <name>_journal_id..., created}
//	body:    state machine image (StateSnapshot.WriteTo)
//	footer:  m bytes JSON raft metadata {snapshot_version, index, term, configuration_index, servers}
//	trailer: uint32 m | uint64 len(header+body) | uint32 CRC32-C (Castagnoli) of all preceding bytes | "MRIMGEND"
//
// header+body is exactly what raft streams to a follower in InstallSnapshot.
func OpenImage(path string) (ImageHeader, io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return ImageHeader{}, nil, err
	}
	ft, hdr, err := verifyImageFile(f)
	if err != nil {
		f.Close()
		return ImageHeader{}, nil, fmt.Errorf("image %s: %w", path, err)
	}
	body := io.NewSectionReader(f, ft.bodyStart, ft.streamSize-ft.bodyStart)
	return hdr, &fileReader{Reader: bufio.NewReaderSize(body, 256<<10), f: f}, nil
}

// fileReader is a buffered reader that closes its file.
type fileReader struct {
	io.Reader
	f *os.File
}

func (r *fileReader) Close() error { return r.f.Close() }

// parseImageName returns the journal id of a file named image.<id>.
func parseImageName(name string) (uint64, bool) {
	if !strings.HasPrefix(name, imagePrefix) {
		return 0, false
	}
	rest := name[len(imagePrefix):]
	if rest == "" || rest[0] == '+' || rest[0] == '-' {
		return 0, false
	}
	id, err := strconv.ParseUint(rest, 10, 64)
	if err != nil {
		return 0, false
	}
	return id, true
}

func imageName(id uint64) string { return imagePrefix + strconv.FormatUint(id, 10) }

// listImageIDs returns the journal ids of image.<id> files in dir, newest first.
func listImageIDs(dir string) ([]uint64, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	var ids []uint64
	for _, e := range ents {
		if id, ok := parseImageName(e.Name()); ok && e.Type().IsRegular() {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] > ids[j] })
	return ids, nil
}

// ListImages lists the images in metaDir/image, newest first. It reads only
// each file's header and footer (cheap); use OpenImage to verify a checksum.
// Files whose header or footer cannot be read are listed with Err set.
func ListImages(metaDir string) ([]ImageInfo, error) {
	dir := filepath.Join(metaDir, imageDirName)
	ids, err := listImageIDs(dir)
	if err != nil {
		return nil, err
	}
	out := make([]ImageInfo, 0, len(ids))
	for _, id := range ids {
		info := ImageInfo{Path: filepath.Join(dir, imageName(id)), JournalID: id}
		info.Header, info.Size, info.Err = peekImage(info.Path)
		out = append(out, info)
	}
	return out, nil
}

// peekImage reads header and footer of an image without the checksum.
func peekImage(path string) (ImageHeader, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return ImageHeader{}, 0, err
	}
	defer f.Close()
	return peekFile(f)
}

// peekFile reads header and footer of an open image file without the
// checksum, and returns the header and the file size.
func peekFile(f *os.File) (ImageHeader, int64, error) {
	ft, err := readFooter(f)
	if err != nil {
		return ImageHeader{}, ft.fileSize, err
	}
	hdr, _, err := readImageHeader(io.NewSectionReader(f, 0, ft.streamSize))
	if err != nil {
		return hdr, ft.fileSize, err
	}
	fillRaftMeta(&hdr, &ft.meta)
	return hdr, ft.fileSize, nil
}

// imageWriter accumulates the checksum and size of everything written.
type imageWriter struct {
	bw   *bufio.Writer
	crc  hash.Hash32
	size int64
}

func (w *imageWriter) Write(p []byte) (int, error) {
	n, err := w.bw.Write(p)
	w.crc.Write(p[:n])
	w.size += int64(n)
	return n, err
}

// writeFooter appends footer and trailer for a stream of streamSize bytes.
func (w *imageWriter) writeFooter(meta footerJSON) error {
	streamSize := w.size
	js, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	if _, err := w.Write(js); err != nil {
		return err
	}
	var b [12]byte
	binary.BigEndian.PutUint32(b[0:4], uint32(len(js)))
	binary.BigEndian.PutUint64(b[4:12], uint64(streamSize))
	if _, err := w.Write(b[:]); err != nil {
		return err
	}
	var t [12]byte
	binary.BigEndian.PutUint32(t[0:4], w.crc.Sum32())
	copy(t[4:], trailerMagic)
	_, err = w.bw.Write(t[:])
	return err
}
