package dev.laocoon.s3;

import dev.laocoon.core.source.remote.NetworkGuard;
import dev.laocoon.core.source.remote.ObjectLister;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;
import software.amazon.awssdk.services.s3.presigner.model.PresignedGetObjectRequest;

/**
 * {@code s3://bucket/key} (one object) and {@code s3://bucket/prefix} (every object under it): listed
 * with the AWS SDK v2 S3 client over the URL-connection HTTP client (no Netty, no Apache client),
 * read as pre-signed ranged {@code GetObject} requests through core's fetcher, so that every
 * connection carrying the bytes that are judged goes to an address the network guard checked.
 *
 * <p>Options ({@link #list}): {@code endpoint} (MinIO, Ceph, R2, a test server; default
 * {@code $AWS_ENDPOINT_URL_S3}, {@code $AWS_ENDPOINT_URL}, else AWS), {@code region} (default
 * {@code $AWS_REGION}, {@code $AWS_DEFAULT_REGION}, else {@code us-east-1}), {@code pathStyle}
 * ({@code true} for servers without virtual-hosted buckets). Credentials come from the SDK's default
 * chain (environment, system properties, profile files, web identity, container and instance roles).
 * The endpoint's addresses are checked by the guard before the client is made.
 */
public final class S3Lister implements ObjectLister {
    private static final int MAX_OBJECTS = 1_000_000;

    /** Test hook and embedding services: a provider other than the default chain. */
    private final AwsCredentialsProvider credentials;

    public S3Lister() {
        this(null);
    }

    public S3Lister(AwsCredentialsProvider credentials) {
        this.credentials = credentials;
    }

    @Override
    public String scheme() {
        return "s3";
    }

    /** {bucket, key-or-prefix} of {@code s3://bucket/key}. */
    static String[] parse(String url) throws IOException {
        if (!url.regionMatches(true, 0, "s3://", 0, 5)) {
            throw new IOException("not an s3:// URL: " + url);
        }
        String rest = url.substring(5);
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        String key = slash < 0 ? "" : rest.substring(slash + 1);
        if (bucket.length() < 3 || bucket.length() > 63) {
            throw new IOException("not a valid bucket name in " + url);
        }
        for (int i = 0; i < bucket.length(); i++) {
            char c = bucket.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.')) {
                throw new IOException("not a valid bucket name in " + url);
            }
        }
        return new String[] {bucket, key};
    }

    /** The SDK's client and presigner settings for one bucket, its endpoint checked by the guard first. */
    private record Conn(software.amazon.awssdk.services.s3.S3ClientBuilder client, S3Presigner.Builder presigner) {
    }

    private Conn connect(String bucket, NetworkGuard guard, Map<String, String> options) throws IOException {
        String region = first(options.get("region"), System.getenv("AWS_REGION"), System.getenv("AWS_DEFAULT_REGION"),
                "us-east-1");
        String endpoint = first(options.get("endpoint"), System.getenv("AWS_ENDPOINT_URL_S3"),
                System.getenv("AWS_ENDPOINT_URL"), null);
        boolean pathStyle = Boolean.parseBoolean(options.getOrDefault("pathStyle", "false"));
        URI ep = endpoint == null ? null : URI.create(endpoint);
        // the host the listing connects to, checked before the SDK's client resolves it again (the
        // object bytes are read through the fetcher, which connects to the address it checked)
        String base = ep != null ? ep.getHost() : "s3." + region + ".amazonaws.com";
        if (base == null) {
            throw new IOException("not a valid S3 endpoint: " + endpoint);
        }
        check(guard, pathStyle ? base : bucket + "." + base, ep == null ? 443 : ep.getPort() >= 0 ? ep.getPort()
                : "http".equalsIgnoreCase(ep.getScheme()) ? 80 : 443);
        AwsCredentialsProvider creds = credentials != null ? credentials : DefaultCredentialsProvider.builder().build();
        S3Configuration conf = S3Configuration.builder().pathStyleAccessEnabled(pathStyle).build();
        software.amazon.awssdk.services.s3.S3ClientBuilder cb = S3Client.builder().region(Region.of(region)).credentialsProvider(creds)
                .serviceConfiguration(conf).httpClientBuilder(UrlConnectionHttpClient.builder()
                        .connectionTimeout(Duration.ofSeconds(10)).socketTimeout(Duration.ofSeconds(60)));
        S3Presigner.Builder pb = S3Presigner.builder().region(Region.of(region)).credentialsProvider(creds)
                .serviceConfiguration(conf);
        if (ep != null) {
            cb.endpointOverride(ep);
            pb.endpointOverride(ep);
        }
        return new Conn(cb, pb);
    }

    /**
     * Puts each file as its object (one bucket per call; pre-signed PutObject requests, the endpoint
     * checked by the guard as for listing). The objects' keys come from the caller.
     */
    @Override
    public void upload(Map<String, java.nio.file.Path> objects, NetworkGuard guard, Map<String, String> options)
            throws IOException {
        if (objects.isEmpty()) {
            return;
        }
        String bucket = null;
        for (String url : objects.keySet()) {
            String b = parse(url)[0];
            if (bucket != null && !bucket.equals(b)) {
                throw new IOException("one bucket per upload: " + bucket + " and " + b);
            }
            bucket = b;
        }
        Conn c = connect(bucket, guard, options);
        // pre-signed PUTs on a client of this call's own (the JDK's): no connection is reused from
        // another client's pool, where a server may have closed it meanwhile
        java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
                .followRedirects(java.net.http.HttpClient.Redirect.NEVER).build();
        try (S3Presigner presigner = c.presigner().build()) {
            for (Map.Entry<String, java.nio.file.Path> e : objects.entrySet()) {
                String[] bk = parse(e.getKey());
                if (bk[1].isEmpty() || bk[1].endsWith("/")) {
                    throw new IOException("not an object key: " + e.getKey());
                }
                software.amazon.awssdk.services.s3.presigner.model.PresignedPutObjectRequest p = presigner.presignPutObject(
                        b -> b.signatureDuration(Duration.ofHours(1)).putObjectRequest(
                                software.amazon.awssdk.services.s3.model.PutObjectRequest.builder().bucket(bk[0]).key(bk[1]).build()));
                java.net.http.HttpRequest.Builder rb;
                try {
                    rb = java.net.http.HttpRequest.newBuilder(p.url().toURI()).timeout(Duration.ofMinutes(10))
                            .PUT(java.net.http.HttpRequest.BodyPublishers.ofFile(e.getValue()));
                } catch (java.net.URISyntaxException x) {
                    throw new IOException("cannot pre-sign " + e.getKey());
                }
                for (Map.Entry<String, List<String>> h : p.signedHeaders().entrySet()) {
                    if (!h.getKey().equalsIgnoreCase("host") && !h.getValue().isEmpty()) {
                        rb.header(h.getKey(), h.getValue().get(0));
                    }
                }
                java.net.http.HttpResponse<String> r;
                try {
                    r = http.send(rb.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
                } catch (InterruptedException x) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted while writing " + e.getKey());
                }
                if (r.statusCode() != 200) {
                    throw new IOException(e.getKey() + ": HTTP " + r.statusCode() + " from the S3 endpoint");
                }
            }
        } catch (SdkClientException e) {
            throw new IOException("s3://" + bucket + ": " + e.getMessage());
        }
    }

    @Override
    public List<RemoteObject> list(String url, NetworkGuard guard, Map<String, String> options) throws IOException {
        String[] bk = parse(url);
        String bucket = bk[0];
        String key = bk[1];
        Conn c = connect(bucket, guard, options);
        software.amazon.awssdk.services.s3.S3ClientBuilder cb = c.client();
        S3Presigner.Builder pb = c.presigner();
        List<RemoteObject> out = new ArrayList<>();
        try (S3Client s3 = cb.build(); S3Presigner presigner = pb.build()) {
            List<long[]> sizes = new ArrayList<>();
            List<String> keys = new ArrayList<>();
            HeadObjectResponse head = key.isEmpty() || key.endsWith("/") ? null : head(s3, bucket, key);
            if (head != null) {
                keys.add(key);
                sizes.add(new long[] {head.contentLength() == null ? -1 : head.contentLength()});
            } else {
                String token = null;
                do {
                    ListObjectsV2Request.Builder rb = ListObjectsV2Request.builder().bucket(bucket).prefix(key);
                    if (token != null) {
                        rb.continuationToken(token);
                    }
                    ListObjectsV2Response page = s3.listObjectsV2(rb.build());
                    for (S3Object o : page.contents()) {
                        if (o.key().endsWith("/") && (o.size() == null || o.size() == 0)) {
                            continue; // a folder marker
                        }
                        if (keys.size() >= MAX_OBJECTS) {
                            throw new IOException(url + ": more than " + MAX_OBJECTS + " objects");
                        }
                        keys.add(o.key());
                        sizes.add(new long[] {o.size() == null ? -1 : o.size()});
                    }
                    token = Boolean.TRUE.equals(page.isTruncated()) ? page.nextContinuationToken() : null;
                } while (token != null);
                if (keys.isEmpty()) {
                    throw new IOException(url + ": no such object, and no object under that prefix");
                }
            }
            for (int i = 0; i < keys.size(); i++) {
                String k = keys.get(i);
                PresignedGetObjectRequest p = presigner.presignGetObject(b -> b.signatureDuration(Duration.ofHours(1))
                        .getObjectRequest(GetObjectRequest.builder().bucket(bucket).key(k).build()));
                java.util.HashMap<String, String> headers = new java.util.HashMap<>();
                for (Map.Entry<String, List<String>> h : p.signedHeaders().entrySet()) {
                    if (!h.getKey().equalsIgnoreCase("host") && !h.getValue().isEmpty()) {
                        headers.put(h.getKey(), h.getValue().get(0));
                    }
                }
                URI u;
                try {
                    u = p.url().toURI();
                } catch (java.net.URISyntaxException e) {
                    throw new IOException("cannot pre-sign s3://" + bucket + "/" + k);
                }
                String name = "s3://" + bucket + "/" + k;
                out.add(new RemoteObject(name, u, name, headers, sizes.get(i)[0], null, "s3", null));
            }
        } catch (S3Exception e) {
            throw new IOException(url + ": " + describe(e));
        } catch (SdkClientException e) {
            throw new IOException(url + ": " + e.getMessage());
        }
        return out;
    }

    private static HeadObjectResponse head(S3Client s3, String bucket, String key) {
        try {
            return s3.headObject(b -> b.bucket(bucket).key(key));
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return null; // not an object: perhaps a prefix
            }
            throw e;
        }
    }

    private static String describe(S3Exception e) {
        String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
        String what = switch (e.statusCode()) {
            case 301 -> "the bucket is in another region (set --s3-region)";
            case 403 -> "access denied (check the credentials: AWS_ACCESS_KEY_ID, AWS_PROFILE, ...)";
            case 404 -> "no such bucket";
            default -> "S3 error";
        };
        return what + " (HTTP " + e.statusCode() + (code == null ? "" : ", " + code) + ")";
    }

    private static void check(NetworkGuard guard, String host, int port) throws IOException {
        InetAddress[] all;
        try {
            InetAddress lit = NetworkGuard.literal(host);
            all = lit != null ? new InetAddress[] {lit} : InetAddress.getAllByName(host);
        } catch (java.net.UnknownHostException e) {
            throw new IOException("unknown host " + host + (host.indexOf('.') > 0 ? " (a server without a name per"
                    + " bucket, such as MinIO, needs --s3-path-style)" : ""));
        }
        for (InetAddress a : all) {
            NetworkGuard.Decision d = guard.check(host, port, a);
            if (!d.allowed()) {
                throw new IOException("refused by the network guard: " + host + " (" + d.reason() + ")");
            }
        }
    }

    private static String first(String a, String b, String c, String d) {
        for (String s : new String[] {a, b, c}) {
            if (s != null && !s.isBlank()) {
                return s.trim();
            }
        }
        return d;
    }
}
