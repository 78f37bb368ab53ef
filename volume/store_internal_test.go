package volume

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStoreParseEndpoint(t *testing.T) {
	for _, c := range []struct {
		endpoint, region string
		host             string
		secure           bool
		err              string
	}{
		{endpoint: "127.0.0.1:9000", host: "127.0.0.1:9000"},
		{endpoint: " http://minio:9000/ ", host: "minio:9000"},
		{endpoint: "HTTPS://minio.example.com", host: "minio.example.com", secure: true},
		{endpoint: "https://10.0.0.1:9443", host: "10.0.0.1:9443", secure: true},
		{endpoint: "s3.us-west-2.amazonaws.com", host: "s3.us-west-2.amazonaws.com", secure: true},
		{region: "us-west-2", host: "s3.us-west-2.amazonaws.com", secure: true},
		{region: "cn-north-1", host: "s3.cn-north-1.amazonaws.com.cn", secure: true},
		{err: "aws.s3.endpoint and aws.s3.region cannot both be empty"},
		{endpoint: "ftp://h:21", err: "scheme must be http or https"},
		{endpoint: "http://h:9000/bucket", err: "must be [http[s]://]host[:port]"},
		{endpoint: "http://user:pw@h:9000", err: "must be [http[s]://]host[:port]"},
		{endpoint: "h:9000/bucket", err: "must be [http[s]://]host[:port]"},
	} {
		host, secure, err := parseEndpoint(c.endpoint, c.region)
		if c.err != "" {
			require.ErrorContains(t, err, c.err, c.endpoint)
			continue
		}
		require.NoError(t, err, c.endpoint)
		require.Equal(t, c.host, host, c.endpoint)
		require.Equal(t, c.secure, secure, c.endpoint)
	}
}

func TestStoreOpenSettings(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, "s3://bkt/a/b/", map[string]string{PropEndpoint: "127.0.0.1:9000", PropAccessKey: "ak", PropSecretKey: "sk"})
	require.NoError(t, err)
	defer s.Close()
	require.Equal(t, "http", s.client.EndpointURL().Scheme)
	require.Equal(t, "a/b", s.Prefix())
	require.Equal(t, "s3://bkt/a/b/k", s.URL("k"))
	require.Equal(t, "a/b/k", s.object("k"))
	require.Equal(t, "k", s.relKey("a/b/k"))

	s, err = Open(ctx, "s3://bkt", map[string]string{PropRegion: "eu-west-1", PropUseDefault: "true"})
	require.NoError(t, err)
	defer s.Close()
	require.Equal(t, "https", s.client.EndpointURL().Scheme)
	require.Equal(t, "s3.eu-west-1.amazonaws.com", s.client.EndpointURL().Host)
	require.Equal(t, "s3://bkt/k", s.URL("k"))

	_, err = Open(ctx, "s3://bkt", map[string]string{PropEndpoint: "h:1", PropPathStyle: "maybe"})
	require.ErrorContains(t, err, "invalid value \"maybe\" for aws.s3.enable_path_style_access")
}
