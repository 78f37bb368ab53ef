// Package volume is minirocks' storage-volume layer: the property keys of a
// StarRocks storage volume and their checks, how secrets are masked, and
// the S3 client the compute nodes and snapshot code use. The keys it
// stores objects under come from package volume/layout.
package volume

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Property keys of an S3 storage volume, as StarRocks names them.
const (
	PropRegion            = "aws.s3.region"
	PropEndpoint          = "aws.s3.endpoint"
	PropAccessKey         = "aws.s3.access_key"
	PropSecretKey         = "aws.s3.secret_key"
	PropUseDefault        = "aws.s3.use_aws_sdk_default_behavior"
	PropInstanceProfile   = "aws.s3.use_instance_profile"
	PropIAMRoleARN        = "aws.s3.iam_role_arn"
	PropExternalID        = "aws.s3.external_id"
	PropPathStyle         = "aws.s3.enable_path_style_access"
	PropPartitionedPrefix = "aws.s3.enable_partitioned_prefix"
	PropEnabled           = "enabled"
)

// s3Props are the keys an S3 volume accepts.
var s3Props = []string{PropRegion, PropEndpoint, PropAccessKey, PropSecretKey, PropUseDefault,
	PropInstanceProfile, PropIAMRoleARN, PropExternalID, PropPathStyle, PropPartitionedPrefix, PropEnabled}

var boolProps = []string{PropUseDefault, PropInstanceProfile, PropPathStyle, PropPartitionedPrefix, PropEnabled}

// secretProps are never shown or logged.
var secretProps = []string{PropSecretKey}

// CheckType validates a volume TYPE.
func CheckType(t string) (string, error) {
	switch strings.ToUpper(t) {
	case "S3":
		return "S3", nil
	case "HDFS", "AZBLOB", "ADLS2", "GS":
		return "", fmt.Errorf("storage volume type %s is not supported by minirocks; use S3", strings.ToUpper(t))
	}
	return "", fmt.Errorf("invalid storage volume type: %s", t)
}

// CheckLocations validates LOCATIONS: at least one s3:// URI with a bucket.
func CheckLocations(locs []string) error {
	if len(locs) == 0 {
		return fmt.Errorf("LOCATIONS must not be empty")
	}
	for _, l := range locs {
		b, _, err := SplitLocation(l)
		if err != nil {
			return err
		}
		if b == "" {
			return fmt.Errorf("invalid location %q: no bucket", l)
		}
	}
	return nil
}

// SplitLocation splits s3://bucket/prefix into bucket and prefix (no
// leading or trailing slash).
func SplitLocation(loc string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(loc, "s3://")
	if !ok {
		if r, ok2 := strings.CutPrefix(loc, "s3a://"); ok2 {
			rest = r
		} else {
			return "", "", fmt.Errorf("invalid location %q: must start with s3://", loc)
		}
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	return bucket, strings.Trim(prefix, "/"), nil
}

// CheckProperties validates volume properties; create says whether the
// credentials must be complete (CREATE) or may be partial (ALTER).
func CheckProperties(props map[string]string, create bool) error {
	for k, v := range props {
		if !slices.Contains(s3Props, k) {
			return fmt.Errorf("Invalid properties %s", k)
		}
		if slices.Contains(boolProps, k) {
			if _, err := strconv.ParseBool(strings.ToLower(v)); err != nil {
				return fmt.Errorf("Invalid value %s for property %s: must be true or false", v, k)
			}
		}
	}
	if !create {
		return nil
	}
	if props[PropRegion] == "" && props[PropEndpoint] == "" {
		return fmt.Errorf("Region and endpoint cannot both be empty: set %s or %s", PropRegion, PropEndpoint)
	}
	if !isTrue(props[PropUseDefault]) && !isTrue(props[PropInstanceProfile]) {
		if props[PropAccessKey] == "" || props[PropSecretKey] == "" {
			return fmt.Errorf("%s and %s must be set unless %s or %s is true", PropAccessKey, PropSecretKey, PropUseDefault, PropInstanceProfile)
		}
	}
	return nil
}

func isTrue(v string) bool {
	b, _ := strconv.ParseBool(strings.ToLower(v))
	return b
}

// Masked returns a copy of props with secrets replaced by "******", the
// form SHOW and DESC statements print.
func Masked(props map[string]string) map[string]string {
	out := maps.Clone(props)
	for _, k := range secretProps {
		if _, ok := out[k]; ok {
			out[k] = "******"
		}
	}
	return out
}

// IsSecret reports whether a property key holds a secret.
func IsSecret(key string) bool { return slices.Contains(secretProps, key) }
