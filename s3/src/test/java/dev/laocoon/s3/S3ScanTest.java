package dev.laocoon.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.laocoon.core.FileReport;
import dev.laocoon.core.ScanReport;
import dev.laocoon.core.Scanner;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.source.remote.NetworkGuard;
import dev.laocoon.core.source.remote.ObjectLister;
import dev.laocoon.core.source.remote.RemoteFetcher;
import dev.laocoon.core.testutil.PickleBuilder;
import dev.laocoon.core.testutil.ZipBuilder;
import dev.laocoon.s3.testutil.S3Fixture;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/** s3:// against s3proxy (in this process, a transient blob store, on 127.0.0.1 only). */
class S3ScanTest {
    static final String KEY = S3Fixture.KEY;
    static final String SECRET = S3Fixture.SECRET;
    static S3Fixture fixture;
    static Map<String, String> options;

    static byte[] hostile() {
        return new ZipBuilder().add("archive/data/0", new byte[4 << 20])
                .add("archive/data.pkl", PickleBuilder.call("os", "system", "echo laocoon"))
                .add("archive/version", "3\n".getBytes()).bytes();
    }

    static byte[] clean() {
        return PickleBuilder.create().proto(4).mark().str("w").binint(1).dict().stop().bytes();
    }

    @BeforeAll
    static void start() throws Exception {
        fixture = new S3Fixture().put("models/org/evil/pytorch_model.bin", hostile()).put("models/org/evil/copy.bin", hostile())
                .put("models/org/clean/weights.pkl", clean());
        options = fixture.options();
    }

    @AfterAll
    static void stop() throws Exception {
        if (fixture != null) {
            fixture.close();
        }
    }

    static S3Lister lister() {
        return new S3Lister(StaticCredentialsProvider.create(AwsBasicCredentials.create(KEY, SECRET)));
    }

    static final NetworkGuard LOOPBACK = NetworkGuard.allowing(List.of("127.0.0.1"), false);

    static Map<String, FileReport> scan(String url) throws Exception {
        List<ObjectLister.RemoteObject> objects = lister().list(url, LOOPBACK, options);
        try (RemoteFetcher f = RemoteFetcher.builder(LOOPBACK).build()) {
            ScanReport r = Scanner.builder().build().scanObjects(objects, f);
            Map<String, FileReport> m = new LinkedHashMap<>();
            for (FileReport x : r.files()) {
                m.put(x.path(), x);
            }
            return m;
        }
    }

    @Test
    void filesAreWrittenAsObjectsAndReadBackByteForByte(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
            throws Exception {
        java.nio.file.Path a = java.nio.file.Files.write(tmp.resolve("a.parquet"), hostile());
        java.nio.file.Path b = java.nio.file.Files.writeString(tmp.resolve("summary.json"), "{\"blobs\": 1}");
        Map<String, java.nio.file.Path> up = new LinkedHashMap<>();
        up.put("s3://models/out/run-1/blobs/a.parquet", a);
        up.put("s3://models/out/run-1/summary.json", b);
        lister().upload(up, LOOPBACK, options);
        List<ObjectLister.RemoteObject> back = lister().list("s3://models/out/run-1/", LOOPBACK, options);
        assertThat(back).extracting(ObjectLister.RemoteObject::name)
                .containsExactlyInAnyOrder("s3://models/out/run-1/blobs/a.parquet", "s3://models/out/run-1/summary.json");
        try (RemoteFetcher f = RemoteFetcher.builder(LOOPBACK).build()) {
            for (ObjectLister.RemoteObject o : back) {
                java.nio.file.Path got = tmp.resolve("got-" + o.name().substring(o.name().lastIndexOf('/') + 1));
                RemoteFetcher.Download d = f.download(o.url(), o.headers(), got, 1 << 30, java.time.Duration.ofSeconds(30));
                assertThat(d.status()).isEqualTo(200);
                assertThat(java.nio.file.Files.readAllBytes(got)).isEqualTo(java.nio.file.Files.readAllBytes(up.get(o.name())));
            }
        }
        // one bucket per call, keys that name objects, and the guard before any connection
        assertThatThrownBy(() -> lister().upload(Map.of("s3://models/x", a, "s3://other/y", b), LOOPBACK, options))
                .hasMessageContaining("one bucket per upload");
        assertThatThrownBy(() -> lister().upload(Map.of("s3://models/dir/", a), LOOPBACK, options))
                .hasMessageContaining("not an object key");
        assertThatThrownBy(() -> lister().upload(Map.of("s3://models/z", a), NetworkGuard.allowing(List.of(), false),
                options)).hasMessageContaining("refused by the network guard");
    }

    @Test
    void anObjectIsJudgedFromRangedGets() throws Exception {
        Map<String, FileReport> m = scan("s3://models/org/evil/pytorch_model.bin");
        assertThat(m.keySet()).containsExactly("s3://models/org/evil/pytorch_model.bin");
        FileReport r = m.get("s3://models/org/evil/pytorch_model.bin");
        assertThat(r.verdict()).as(r.toString()).isEqualTo(Severity.MALICIOUS);
        assertThat(r.source().kind()).isEqualTo("s3");
        assertThat(r.source().url()).isEqualTo("s3://models/org/evil/pytorch_model.bin"); // never the pre-signed URL
        assertThat(r.source().transferred()).isLessThan(1 << 20);
        assertThat(r.toString()).doesNotContain("X-Amz-Signature").doesNotContain(KEY);
    }

    @Test
    void aPrefixIsListedAndEveryObjectUnderItScanned() throws Exception {
        Map<String, FileReport> m = scan("s3://models/org/");
        assertThat(m.keySet()).containsExactlyInAnyOrder("s3://models/org/evil/pytorch_model.bin",
                "s3://models/org/evil/copy.bin", "s3://models/org/clean/weights.pkl");
        assertThat(m.get("s3://models/org/clean/weights.pkl").verdict()).isEqualTo(Severity.SAFE);
        assertThat(m.get("s3://models/org/evil/copy.bin").verdict()).isEqualTo(Severity.MALICIOUS);
    }

    @Test
    void missingBucketsObjectsAndWrongKeysAreClearErrors() {
        assertThatThrownBy(() -> lister().list("s3://nothing-here/x.bin", LOOPBACK, options))
                .hasMessageContaining("s3://nothing-here/x.bin");
        assertThatThrownBy(() -> lister().list("s3://models/none/", LOOPBACK, options))
                .hasMessageContaining("no object under that prefix");
        S3Lister wrong = new S3Lister(StaticCredentialsProvider.create(AwsBasicCredentials.create(KEY, "not-it")));
        assertThatThrownBy(() -> wrong.list("s3://models/org/", LOOPBACK, options)).hasMessageContaining("access denied")
                .hasMessageNotContaining("not-it");
    }

    @Test
    void theEndpointIsCheckedByTheGuardBeforeAnyConnection() {
        assertThatThrownBy(() -> lister().list("s3://models/org/", NetworkGuard.strict(), options))
                .hasMessageContaining("refused by the network guard");
    }

    @Test
    void bucketNamesAreChecked() throws Exception {
        assertThatThrownBy(() -> S3Lister.parse("s3://A_b/x")).hasMessageContaining("not a valid bucket name");
        assertThat(S3Lister.parse("s3://bucket/a/b.bin")).containsExactly("bucket", "a/b.bin");
    }
}
