package dev.laocoon.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.apache.spark.sql.functions.col;

import dev.laocoon.core.FileReport;
import dev.laocoon.core.Scanner;
import dev.laocoon.core.testutil.HttpFixture;
import dev.laocoon.core.testutil.HubFixture;
import dev.laocoon.core.testutil.PickleBuilder;
import dev.laocoon.core.testutil.ZipBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job on local[2] (one session for every test), against files on disk and on a loopback HTTP
 * fixture; nothing but 127.0.0.1 is contacted.
 */
class HubScanIntegrationTest {
    static SparkSession spark;
    static HttpFixture http;
    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() throws IOException {
        spark = Job.session("local[2]");
        http = new HttpFixture();
    }

    @AfterAll
    static void stop() {
        if (http != null) {
            http.close();
        }
        if (spark != null) {
            spark.stop();
        }
    }

    /** Distinct inert contents: hostile and clean pickles and checkpoints, plain text (never run: scanned only). */
    static Map<String, byte[]> contents(int n) {
        Map<String, byte[]> m = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            switch (i % 5) {
                case 0 -> m.put("evil" + i + ".pkl", PickleBuilder.create().proto(2).global("os", "system")
                        .str("echo laocoon " + i).tuple1().reduce().stop().bytes());
                case 1 -> m.put("clean" + i + ".pkl", PickleBuilder.create().proto(4).mark().str("w" + i).binint(i).dict()
                        .stop().bytes());
                case 2 -> m.put("model" + i + ".bin", ZipBuilder.torchZip(ZipBuilder.torchStateDict("layer" + i, "0", 4), 4));
                case 3 -> m.put("odd" + i + ".pkl", PickleBuilder.create().proto(2).global("somelib.private", "thing" + i)
                        .emptyTuple().reduce().stop().bytes());
                default -> m.put("notes" + i + ".txt", ("notes " + i + "\n").getBytes(StandardCharsets.UTF_8));
            }
        }
        return m;
    }

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    static String json(String uri, String repo, String path, String sha, Long size) {
        StringBuilder b = new StringBuilder("{\"uri\":\"").append(uri).append('"');
        if (repo != null) {
            b.append(",\"repo\":\"").append(repo).append("\",\"revision\":\"").append("0123456789abcdef0123456789abcdef01234567")
                    .append('"');
        }
        b.append(",\"path\":\"").append(path).append('"');
        if (sha != null) {
            b.append(",\"sha256\":\"").append(sha).append('"');
        }
        if (size != null) {
            b.append(",\"size\":").append(size);
        }
        return b.append("}").toString();
    }

    static HubScan.Options options(Path listing, Path out, Path previous) {
        HubScan.Options o = HubScan.Options.parse(new String[] {"--input", listing.toString(), "--output", out.toString(),
            "--allow-host", "127.0.0.1", "--attempts", "2", "--retry-backoff-ms", "1", "--timeout", "30"});
        o.previous = previous == null ? null : previous.toString();
        return o;
    }

    @Test
    void eachDistinctBlobIsScannedOnceWithTheCoreVerdictsAndARerunScansNothing() throws Exception {
        Map<String, byte[]> distinct = contents(60);
        Path disk = Files.createDirectories(tmp.resolve("disk"));
        Path oracle = Files.createDirectories(tmp.resolve("oracle"));
        List<String> lines = new ArrayList<>();
        int i = 0;
        for (Map.Entry<String, byte[]> e : distinct.entrySet()) {
            Files.write(oracle.resolve(e.getKey()), e.getValue());
            String sha = sha256(e.getValue());
            long size = e.getValue().length;
            if (i % 3 == 0) {
                // on disk, listed twice with its hash and once without (scanned and hashed, then one blob)
                Path f = Files.write(disk.resolve(e.getKey()), e.getValue());
                lines.add(json(f.toUri().toString(), null, e.getKey(), sha, size));
                lines.add(json(f.toUri().toString(), null, "again/" + e.getKey(), sha, size));
                lines.add(json(f.toUri().toString(), null, "nohash/" + e.getKey(), null, null));
                lines.add(json(f.toString(), null, "plain-path/" + e.getKey(), sha, size));
            } else {
                // on the HTTP fixture, in several repositories; one copy listed without a hash (read whole)
                http.put("/r/" + e.getKey(), e.getValue());
                http.put("/copy/" + e.getKey(), e.getValue());
                for (int r = 0; r < 3; r++) {
                    lines.add(json(http.url("/r/" + e.getKey()).toString(), "org/repo" + r, e.getKey(), sha, size));
                }
                lines.add(json(http.url("/copy/" + e.getKey()).toString(), "org/copies", e.getKey(), i % 2 == 0 ? sha : null,
                        i % 2 == 0 ? size : null));
            }
            i++;
        }
        assertThat(lines).hasSizeGreaterThanOrEqualTo(200);
        Path listing = Files.write(tmp.resolve("listing.jsonl"), lines);

        int before = http.requests();
        Job.Result first = Job.run(spark, options(listing, tmp.resolve("out1"), null));
        assertThat(http.requests()).isGreaterThan(before);

        Dataset<Row> blobs = spark.read().parquet(tmp.resolve("out1/blobs").toString());
        assertThat(blobs.count()).isEqualTo(distinct.size());
        assertThat(blobs.select("sha256").distinct().count()).isEqualTo(distinct.size());
        assertThat(blobs.filter(col("sha256").isNull()).count()).isZero();
        assertThat(first.files()).isEqualTo(lines.size());
        assertThat(first.scanned()).isGreaterThanOrEqualTo(distinct.size());
        assertThat(first.carriedOver()).isZero();
        Dataset<Row> files = spark.read().parquet(tmp.resolve("out1/files").toString());
        assertThat(files.count()).isEqualTo(lines.size());
        assertThat(files.filter(col("sha256").isNull()).count()).isZero();
        // every listed hash is a blob's: the files table joins to the blobs table
        assertThat(files.join(blobs, "sha256").count()).isEqualTo(lines.size());

        // the verdicts over distinct blobs are core's verdicts of the same files
        Map<String, Long> expected = new TreeMap<>();
        for (FileReport r : Scanner.builder().build().scan(List.of(oracle)).files()) {
            expected.merge(r.verdictLabel(), 1L, Long::sum);
        }
        assertThat(first.verdicts()).isEqualTo(expected);
        assertThat(expected).containsKeys("malicious", "safe");
        assertThat(first.summaryJson()).contains("\"blobs\" : " + distinct.size()).contains("\"topRepositories\"")
                .contains("org/repo");

        // the findings are kept with their rule, severity, location and evidence; the imports for the next run
        Row evil = blobs.filter(col("sha256").equalTo(sha256(distinct.get("evil0.pkl")))).first();
        assertThat(evil.<String>getAs("verdict")).isEqualTo("malicious");
        List<Row> findings = evil.getList(evil.fieldIndex("findings"));
        assertThat(findings).isNotEmpty();
        assertThat(findings.get(0).<String>getAs("rule")).startsWith("LAO");
        assertThat(findings.toString()).contains("os.system");
        assertThat(evil.getList(evil.fieldIndex("globals")).toString()).contains("os.system=");

        // the same listing again: everything carried over, not one request
        before = http.requests();
        Job.Result second = Job.run(spark, options(listing, tmp.resolve("out2"), tmp.resolve("out1")));
        assertThat(second.scanned()).isZero();
        assertThat(second.carriedOver()).isEqualTo(distinct.size());
        assertThat(second.verdicts()).isEqualTo(first.verdicts());
        assertThat(http.requests()).isEqualTo(before);
        assertThat(spark.read().parquet(tmp.resolve("out2/files").toString()).count()).isEqualTo(lines.size());
    }

    @Test
    void aServerErrorIsAnErrorRowAndTheJobGoesOn() throws Exception {
        byte[] good = PickleBuilder.create().proto(2).global("os", "system").str("echo e").tuple1().reduce().stop().bytes();
        http.put("/ok/evil.pkl", good);
        http.handler("/broken/", (x, f) -> {
            x.sendResponseHeaders(500, -1);
            x.close();
        });
        String brokenSha = "ab".repeat(32);
        List<String> lines = List.of(
                json(http.url("/ok/evil.pkl").toString(), "org/a", "evil.pkl", sha256(good), (long) good.length),
                json(http.url("/broken/model.bin").toString(), "org/a", "model.bin", brokenSha, 1000L),
                json(http.url("/broken/config.pkl").toString(), "org/a", "config.pkl", null, null),
                json("ftp://127.0.0.1/x.pkl", "org/a", "x.pkl", null, null));
        Path listing = Files.write(tmp.resolve("errors.jsonl"), lines);
        Job.Result r = Job.run(spark, options(listing, tmp.resolve("err1"), null));
        assertThat(r.files()).isEqualTo(4);
        assertThat(r.verdicts()).containsEntry("malicious", 1L).containsEntry("error", 3L);
        Dataset<Row> blobs = spark.read().parquet(tmp.resolve("err1/blobs").toString());
        Row broken = blobs.filter(col("sha256").equalTo(brokenSha)).first();
        assertThat(broken.<String>getAs("verdict")).isEqualTo("error");
        assertThat(broken.<String>getAs("error")).contains("500");
        assertThat(blobs.filter(col("uri").contains("config.pkl")).first().<String>getAs("error")).contains("500");
        assertThat(blobs.filter(col("uri").startsWith("ftp:")).first().<String>getAs("error")).contains("unsupported scheme");

        // errors are retried by the next run; the rest is carried over
        Job.Result again = Job.run(spark, options(listing, tmp.resolve("err2"), tmp.resolve("err1")));
        assertThat(again.carriedOver()).isEqualTo(1);
        assertThat(again.scanned()).isEqualTo(3);
        assertThat(again.verdicts()).isEqualTo(r.verdicts());
    }

    @Test
    void hubRepositoriesAreListedByTheJobAndAMissingOneIsAnErrorRow() throws Exception {
        byte[] evil = PickleBuilder.create().proto(2).global("os", "system").str("echo hub").tuple1().reduce().stop().bytes();
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("README.md", "# a model\n".getBytes(StandardCharsets.UTF_8));
        files.put("pytorch_model.bin", evil);
        files.put("copy/pytorch_model.bin", evil);
        try (HubFixture hub = new HubFixture()) {
            hub.repo("model", "org/one", "1111111111111111111111111111111111111111", files, false)
                    .repo("model", "org/two", "2222222222222222222222222222222222222222", files, false);
            Path repos = Files.write(tmp.resolve("repos.txt"), List.of("org/one", "org/two", "# a comment", "org/missing"));
            HubScan.Options o = HubScan.Options.parse(new String[] {"--repos", repos.toString(), "--hub", hub.url().toString(),
                "--output", tmp.resolve("hub1").toString(), "--allow-host", "127.0.0.1", "--allow-host", "127.0.0.2", "--attempts", "1",
                "--requests-per-second", "0"});
            Job.Result r = Job.run(spark, o);
            assertThat(r.files()).isEqualTo(7); // 3 + 3 files and the missing repository's row
            assertThat(r.verdicts()).containsEntry("malicious", 1L).containsEntry("error", 1L);
            Dataset<Row> f = spark.read().parquet(tmp.resolve("hub1/files").toString());
            assertThat(f.filter(col("revision").equalTo("1111111111111111111111111111111111111111")).count()).isEqualTo(3);
        }
    }

    @Test
    void s3ObjectsAreReadThroughTheS3ModulesListerAndAMissingOneIsAnErrorRow() throws Exception {
        String key = dev.laocoon.s3.testutil.S3Fixture.KEY;
        System.setProperty("aws.accessKeyId", key);
        System.setProperty("aws.secretAccessKey", dev.laocoon.s3.testutil.S3Fixture.SECRET);
        byte[] evil = ZipBuilder.torchZip(PickleBuilder.call("os", "system", "echo s3"), 4);
        byte[] clean = PickleBuilder.create().proto(4).mark().str("w").binint(1).dict().stop().bytes();
        try (dev.laocoon.s3.testutil.S3Fixture fx = new dev.laocoon.s3.testutil.S3Fixture()
                .put("models/org/evil/pytorch_model.bin", evil).put("models/org/copy/pytorch_model.bin", evil)
                .put("models/org/clean/weights.pkl", clean)) {
            org.jclouds.blobstore.BlobStore store = fx.store();
            String endpoint = fx.endpoint();
            String[] s3 = {"--s3-endpoint", endpoint, "--s3-path-style", "--s3-region", "us-east-1", "--allow-host", "127.0.0.1"};
            // the listing of the prefix, as laocoon batch --list s3://models/org/ writes it
            java.io.ByteArrayOutputStream listed = new java.io.ByteArrayOutputStream();
            List<String> args = new ArrayList<>(List.of("--list", "s3://models/org/"));
            args.addAll(List.of(s3));
            assertThat(HubScan.run(args.toArray(new String[0]), new java.io.PrintStream(listed, true),
                    new java.io.PrintStream(new java.io.ByteArrayOutputStream()))).isZero();
            List<String> lines = new ArrayList<>(List.of(listed.toString(StandardCharsets.UTF_8).split("\n")));
            assertThat(lines).hasSize(3).allMatch(l -> l.contains("\"uri\":\"s3://models/org/"));
            // the evil checkpoint's copies given their hash (deduplicated), and an object that is not there
            for (String p : List.of("org/evil/pytorch_model.bin", "org/copy/pytorch_model.bin")) {
                lines.add(json("s3://models/" + p, "org/s3", p, sha256(evil), (long) evil.length));
            }
            lines.add(json("s3://models/org/gone.bin", "org/s3", "gone.bin", null, null));
            Path listing = Files.write(tmp.resolve("s3.jsonl"), lines);
            List<String> run = new ArrayList<>(List.of("--input", listing.toString(), "--output", tmp.resolve("s3out").toString(),
                "--attempts", "1"));
            run.addAll(List.of(s3));
            Job.Result r = Job.run(spark, HubScan.Options.parse(run.toArray(new String[0])));
            assertThat(r.files()).isEqualTo(6);
            assertThat(r.blobs()).isEqualTo(3); // evil, clean, and the missing object's error row
            assertThat(r.verdicts()).containsEntry("malicious", 1L).containsEntry("safe", 1L).containsEntry("error", 1L);
            Row gone = spark.read().parquet(tmp.resolve("s3out/blobs").toString()).filter(col("verdict").equalTo("error")).first();
            assertThat(gone.<String>getAs("error")).contains("s3://models/org/gone.bin");
            Row evilRow = spark.read().parquet(tmp.resolve("s3out/blobs").toString()).filter(col("sha256").equalTo(sha256(evil)))
                    .first();
            assertThat(evilRow.<Long>getAs("requests")).isPositive();
            assertThat(evilRow.toString()).doesNotContain("X-Amz-Signature").doesNotContain(key);

            // the tables written to an s3:// prefix, and read back from it as the previous run
            List<String> toS3 = new ArrayList<>(List.of("--input", listing.toString(), "--output", "s3://models/runs/r1/",
                    "--attempts", "1"));
            toS3.addAll(List.of(s3));
            Job.Result up = Job.run(spark, HubScan.Options.parse(toS3.toArray(new String[0])));
            assertThat(up.blobs()).isEqualTo(3);
            java.util.Set<String> keys = new java.util.TreeSet<>();
            for (var obj : store.list("models", org.jclouds.blobstore.options.ListContainerOptions.Builder
                    .prefix("runs/r1/").recursive())) {
                keys.add(obj.getName());
            }
            assertThat(keys).contains("runs/r1/summary.json").anyMatch(k -> k.startsWith("runs/r1/blobs/part-"))
                    .anyMatch(k -> k.startsWith("runs/r1/files/part-")).noneMatch(k -> k.endsWith(".crc"));
            List<String> again = new ArrayList<>(List.of("--input", listing.toString(), "--output", "s3://models/runs/r2/",
                    "--previous", "s3://models/runs/r1/", "--attempts", "1"));
            again.addAll(List.of(s3));
            Job.Result second = Job.run(spark, HubScan.Options.parse(again.toArray(new String[0])));
            // the evil checkpoint listed with its hash: carried over from the run read back from s3://; the four
            // references without a hash (the --list lines and the missing object; no revision to look them up by)
            // are read to know their content, as in any rerun
            assertThat(second.carriedOver()).isEqualTo(1);
            assertThat(second.scanned()).isEqualTo(4);
            assertThat(second.verdicts()).isEqualTo(up.verdicts());
            assertThat(store.blobExists("models", "runs/r2/summary.json")).isTrue();
        } finally {
            System.clearProperty("aws.accessKeyId");
            System.clearProperty("aws.secretAccessKey");
        }
    }

    @Test
    void partitionsAreBalancedByExpectedBytesNotByFileCount() {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 8; i++) { // pickles are read whole: 64 MB each
            rows.add(org.apache.spark.sql.RowFactory.create("file:///nowhere/big" + i + ".pkl", null, null, "big" + i + ".pkl",
                    String.format("%064x", i), 64L << 20, null));
        }
        for (int i = 0; i < 400; i++) { // 4 KB safetensors headers
            rows.add(org.apache.spark.sql.RowFactory.create("file:///nowhere/s" + i + ".safetensors", null, null, "s" + i + ".safetensors",
                    String.format("%064x", 1000 + i), 4096L, null));
        }
        org.apache.spark.api.java.JavaSparkContext jsc = org.apache.spark.api.java.JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<List<Row>> parts = Job.balance(jsc, jsc.parallelize(rows, 3), 4).glom().collect();
        assertThat(parts).hasSize(4);
        long max = 0;
        long min = Long.MAX_VALUE;
        for (List<Row> p : parts) {
            long cost = p.stream().mapToLong(Job::cost).sum();
            max = Math.max(max, cost);
            min = Math.min(min, cost);
            // two of the eight heavy files in each partition, whatever the number of light ones
            assertThat(p.stream().filter(r -> r.getString(3).startsWith("big")).count()).isEqualTo(2);
        }
        assertThat((double) max / min).isLessThan(1.05);
        assertThat(parts.stream().mapToInt(List::size).sum()).isEqualTo(rows.size());
    }

    @Test
    void aListingOfALocalTreeHashesEveryFileAndSkipsVersionControl() throws Exception {
        Path tree = Files.createDirectories(tmp.resolve("tree/sub"));
        Files.writeString(tree.resolve("a.pkl"), "a");
        Files.writeString(tmp.resolve("tree/b.txt"), "b");
        Files.createDirectories(tmp.resolve("tree/.git"));
        Files.writeString(tmp.resolve("tree/.git/config"), "x");
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        assertThat(HubScan.run(new String[] {"--list", tmp.resolve("tree").toString()}, new java.io.PrintStream(out, true),
                new java.io.PrintStream(new java.io.ByteArrayOutputStream()))).isZero();
        String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
        assertThat(lines).hasSize(2);
        assertThat(lines[0]).contains("\"path\":\"b.txt\"").contains("\"sha256\":\"" + sha256("b".getBytes(StandardCharsets.UTF_8)) + "\"")
                .contains("\"size\":1").contains("\"uri\":\"file:");
        assertThat(lines[1]).contains("\"path\":\"sub/a.pkl\"");
    }

    @Test
    void afterAKnowledgeBaseChangeOnlyBlobsWhoseImportsAreJudgedOtherwiseAreRescanned() throws Exception {
        Map<String, byte[]> distinct = contents(10); // two hostile, two clean, two checkpoints, two odd imports, two texts
        Path dir = Files.createDirectories(tmp.resolve("kb"));
        List<String> lines = new ArrayList<>();
        for (Map.Entry<String, byte[]> e : distinct.entrySet()) {
            Path f = Files.write(dir.resolve(e.getKey()), e.getValue());
            lines.add(json(f.toUri().toString(), null, e.getKey(), sha256(e.getValue()), (long) e.getValue().length));
        }
        Path listing = Files.write(tmp.resolve("kb.jsonl"), lines);
        Job.Result first = Job.run(spark, options(listing, tmp.resolve("kb1"), null));
        assertThat(first.scanned()).isEqualTo(distinct.size());
        // as if the previous run had an older globals list, under which somelib.private.thing3 was judged by another entry
        String odd = sha256(distinct.get("odd3.pkl"));
        Dataset<Row> before = spark.read().parquet(tmp.resolve("kb1/blobs").toString())
                .withColumn("kbGlobals", org.apache.spark.sql.functions.lit("0123456789ab"))
                .withColumn("kbVersion", org.apache.spark.sql.functions.lit("0123456789ab"))
                .withColumn("globals", org.apache.spark.sql.functions.when(col("sha256").equalTo(odd),
                        org.apache.spark.sql.functions.array(org.apache.spark.sql.functions.lit("somelib.private.thing3=somelib.*|notice|library")))
                        .otherwise(col("globals")));
        before.write().parquet(tmp.resolve("kb0/blobs").toString());
        spark.read().parquet(tmp.resolve("kb1/files").toString()).write().parquet(tmp.resolve("kb0/files").toString());
        Job.Result second = Job.run(spark, options(listing, tmp.resolve("kb2"), tmp.resolve("kb0")));
        assertThat(second.scanned()).isEqualTo(1); // that pickle only: every other import is judged by the same entry today
        assertThat(second.carriedOver()).isEqualTo(distinct.size() - 1);
        assertThat(second.verdicts()).isEqualTo(first.verdicts());
        // every row now carries today's knowledge base: a third run carries everything over
        assertThat(spark.read().parquet(tmp.resolve("kb2/blobs").toString()).filter(col("kbGlobals")
                .notEqual(Versions.current().kbGlobals())).count()).isZero();
        assertThat(Job.run(spark, options(listing, tmp.resolve("kb3"), tmp.resolve("kb2"))).scanned()).isZero();
    }
}
