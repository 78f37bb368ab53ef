package query

import (
	"context"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/sql"
	"github.com/minirocks/minirocks/fe/sqlerr"
	"github.com/minirocks/minirocks/volume"
)

// BuiltinVolume is the reserved name of the volume made from fe.conf.
const BuiltinVolume = "builtin_storage_volume"

var volumeNameRE = regexp.MustCompile(`^[a-zA-Z]\w{0,63}$|^_[a-zA-Z0-9]\w{0,62}$`)

func propsMap(ps []*sql.Property) map[string]string {
	m := map[string]string{}
	for _, p := range ps {
		m[p.Key] = p.Value
	}
	return m
}

func (s *Session) execCreateVolume(ctx context.Context, st *sql.CreateStorageVolumeStmt) (*Result, error) {
	if err := s.requireSystem(catalog.PrivCreateVolume); err != nil {
		return nil, err
	}
	name := st.Name.Name
	if name == BuiltinVolume {
		return nil, at(st.Name.At, "%s is a reserved storage volume name, please choose a different name for the storage volume", BuiltinVolume)
	}
	if !volumeNameRE.MatchString(name) {
		return nil, atCode(st.Name.At, sqlerr.ErVolumeName, sqlerr.StateSyntax, "Incorrect storage volume name '%s'", name)
	}
	cat := s.eng.cat
	if cat.StorageVolume(name) != nil {
		if st.IfNotExists {
			return OK(), nil
		}
		return nil, catalog.ErrVolumeExists(name)
	}
	typ, err := volume.CheckType(st.Type)
	if err != nil {
		return nil, at(st.Pos(), "%v", err)
	}
	if len(st.Locations) == 0 {
		return nil, at(st.Pos(), "'location' field is required to create the storage volume")
	}
	for _, l := range st.Locations {
		if _, _, err := volume.SplitLocation(l); err != nil {
			return nil, sqlerr.Generic("Invalid location %s", l)
		}
	}
	props := propsMap(st.Properties)
	enabled := true
	if v, ok := props[volume.PropEnabled]; ok {
		b, err := strconv.ParseBool(strings.ToLower(v))
		if err != nil {
			return nil, sqlerr.Generic("Invalid value %s for property enabled", v)
		}
		enabled = b
		delete(props, volume.PropEnabled)
	}
	if err := volume.CheckProperties(props, true); err != nil {
		return nil, sqlerr.Generic("%v", err)
	}
	v := catalog.StorageVolume{
		ID: uuid.NewString(), Name: name, Type: typ, Locations: st.Locations,
		Comment: st.Comment, Properties: props, Enabled: enabled,
	}
	_, err = s.eng.writer.Propose(ctx, &catalog.CreateStorageVolumeOp{Volume: v})
	if err != nil && st.IfNotExists && cat.StorageVolume(name) != nil {
		return OK(), nil
	}
	if err != nil {
		return nil, err
	}
	return OK(), nil
}

func (s *Session) execAlterVolume(ctx context.Context, st *sql.AlterStorageVolumeStmt) (*Result, error) {
	name := st.Name.Name
	if s.eng.cat.StorageVolume(name) == nil {
		return nil, catalog.ErrUnknownVolume(name)
	}
	if err := s.requireVolume(name, catalog.PrivAlter); err != nil {
		return nil, err
	}
	op := &catalog.AlterStorageVolumeOp{Name: name, Comment: st.Comment}
	if st.Properties != nil {
		props := propsMap(st.Properties)
		if v, ok := props[volume.PropEnabled]; ok {
			b, err := strconv.ParseBool(strings.ToLower(v))
			if err != nil {
				return nil, sqlerr.Generic("Invalid value %s for property enabled", v)
			}
			op.Enabled = &b
			delete(props, volume.PropEnabled)
		}
		for _, k := range []string{volume.PropPartitionedPrefix, "aws.s3.num_partitioned_prefix"} {
			if _, ok := props[k]; ok {
				return nil, sqlerr.Generic("Storage volume property '%s' is immutable!", k)
			}
		}
		if err := volume.CheckProperties(props, false); err != nil {
			return nil, sqlerr.Generic("%v", err)
		}
		if len(props) > 0 {
			op.Properties = props
		}
	}
	if _, err := s.eng.writer.Propose(ctx, op); err != nil {
		return nil, err
	}
	return OK(), nil
}

func (s *Session) execDropVolume(ctx context.Context, st *sql.DropStorageVolumeStmt) (*Result, error) {
	name := st.Name.Name
	if s.eng.cat.StorageVolume(name) == nil {
		if st.IfExists {
			return OK(), nil
		}
		return nil, catalog.ErrUnknownVolume(name)
	}
	if err := s.requireVolume(name, catalog.PrivDrop); err != nil {
		return nil, err
	}
	if _, err := s.eng.writer.Propose(ctx, &catalog.DropStorageVolumeOp{Name: name}); err != nil {
		return nil, err
	}
	return OK(), nil
}

func (s *Session) execSetDefaultVolume(ctx context.Context, st *sql.SetDefaultStorageVolumeStmt) (*Result, error) {
	name := st.Name.Name
	if s.eng.cat.StorageVolume(name) == nil {
		return nil, catalog.ErrUnknownVolume(name)
	}
	if err := s.requireVolume(name, catalog.PrivAlter); err != nil {
		return nil, err
	}
	if _, err := s.eng.writer.Propose(ctx, &catalog.SetDefaultStorageVolumeOp{Name: name}); err != nil {
		return nil, err
	}
	return OK(), nil
}

func (s *Session) execDescVolume(st *sql.DescStorageVolumeStmt) (*Result, error) {
	cat := s.eng.cat
	v := cat.StorageVolume(st.Name.Name)
	if v == nil {
		return nil, at(st.Name.At, "Unknown storage volume: %s", st.Name.Name)
	}
	p := s.privs()
	if !p.Volume(v.Name, catalog.PrivUsage) && !p.Volume(v.Name, catalog.PrivAlter) && !p.Volume(v.Name, catalog.PrivDrop) {
		return nil, s.errAccessDenied([]string{"ANY"}, catalog.ObjVolume, v.Name)
	}
	res := &Result{Columns: StringColumns("Name", "Type", "IsDefault", "Location", "Params", "Enabled", "Comment")}
	res.AddRow(v.Name, v.Type, strconv.FormatBool(cat.DefaultStorageVolume() == v.Name),
		strings.Join(v.Locations, ", "), VolumeParams(v), strconv.FormatBool(v.Enabled), v.Comment)
	return res, nil
}

// VolumeParams renders a volume's properties as DESC STORAGE VOLUME shows
// them: JSON with credentials masked and empty values left out.
func VolumeParams(v *catalog.StorageVolume) string {
	shown := map[string]string{}
	for k, val := range v.Properties {
		if val == "" {
			continue
		}
		if k == volume.PropAccessKey || volume.IsSecret(k) {
			val = "******"
		}
		shown[k] = val
	}
	b, _ := json.Marshal(shown)
	return string(b)
}
