package dev.laocoon.batch;

import static org.apache.spark.sql.functions.array_distinct;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.laocoon.core.kb.KnowledgeBase;
import dev.laocoon.core.source.remote.HubClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.PriorityQueue;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/** The Spark job behind {@link HubScan}. */
final class Job {
    private Job() {
    }

    /** What one run did. */
    record Result(long blobs, long files, long scanned, long carriedOver, Map<String, Long> verdicts, String summaryJson) {
    }

    static int runInProcess(HubScan.Options o, PrintStream out, PrintStream err) throws IOException {
        long t0s = System.nanoTime();
        SparkSession spark = session(o.master);
        o.sessionSeconds = (System.nanoTime() - t0s) / 1e9;
        try {
            long t0 = System.nanoTime();
            Result r = run(spark, o);
            err.printf(Locale.ROOT, "laocoon batch: %d files, %d distinct blobs (%d scanned, %d carried over) in %.1f s; %s%n",
                    r.files(), r.blobs(), r.scanned(), r.carriedOver(), (System.nanoTime() - t0) / 1e9, r.verdicts());
            out.println(S3Tables.isS3(o.output) ? S3Tables.prefix(o.output) + "summary.json" : o.output + "/summary.json");
            return 0;
        } finally {
            spark.stop();
        }
    }

    /**
     * The session: the given master, or spark-submit's; nothing listens beyond loopback when run
     * in-process (no UI, the driver on 127.0.0.1).
     */
    static SparkSession session(String master) {
        SparkSession.Builder b = SparkSession.builder().appName("laocoon-batch");
        boolean submitted = System.getProperty("spark.master") != null;
        if (master != null || !submitted) {
            b.master(master != null ? master : "local[*]")
                    .config("spark.ui.enabled", "false")
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1")
                    .config("spark.sql.shuffle.partitions", "8");
        }
        return b.getOrCreate();
    }

    /**
     * The job; an {@code s3://} output or previous run is staged in a private folder on the driver
     * ({@link S3Tables}), which only an in-process (local) master can do.
     */
    static Result run(SparkSession spark, HubScan.Options o) throws IOException {
        if (!S3Tables.isS3(o.output) && !S3Tables.isS3(o.previous)) {
            return runHere(spark, o);
        }
        if (!spark.sparkContext().isLocal()) {
            throw new IllegalArgumentException("s3:// --output and --previous are staged on the driver, for local masters;"
                    + " on a cluster give s3a:// folders (hadoop-aws on the class path)");
        }
        String output = o.output;
        String previous = o.previous;
        java.nio.file.Path stage = java.nio.file.Files.createTempDirectory("laocoon-batch-s3");
        try {
            if (S3Tables.isS3(previous)) {
                o.previous = S3Tables.download(previous, o, java.nio.file.Files.createDirectory(stage.resolve("previous")))
                        .toString();
            }
            if (S3Tables.isS3(output)) {
                o.output = stage.resolve("output").toString();
            }
            Result r = runHere(spark, o);
            if (S3Tables.isS3(output)) {
                S3Tables.upload(java.nio.file.Path.of(o.output), output, o);
            }
            return r;
        } finally {
            o.output = output;
            o.previous = previous;
            S3Tables.delete(stage);
        }
    }

    private static Result runHere(SparkSession spark, HubScan.Options o) throws IOException {
        long tRun = System.nanoTime();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        int cores = jsc.defaultParallelism();
        Versions now = Versions.current();
        double rate = o.requestsPerSecond != null ? o.requestsPerSecond : o.repos != null ? 15.0 : 0;
        BlobScanner.Config config = new BlobScanner.Config(List.copyOf(o.allowHosts), o.allowPrivate, o.timeoutSeconds,
                o.attempts, o.firstBackoffMillis, rate <= 0 ? 0 : rate / cores, o.hub, new HashMap<>(o.s3Options), o.inFlight);

        // 1. the references: a listing, or hub repositories listed by the job's tasks
        Dataset<Row> refs = o.input != null ? readListing(spark, o.input) : expand(spark, jsc, o.repos, config, cores);
        Dataset<Row> prevFiles = null;
        Dataset<Row> prevBlobs = null;
        if (o.previous != null) {
            prevFiles = spark.read().parquet(o.previous + "/files");
            prevBlobs = spark.read().parquet(o.previous + "/blobs");
            // a file listed without a hash at an immutable revision (a commit) the previous run saw: its hash from then
            Dataset<Row> known = prevFiles.filter(col("revision").isNotNull().and(col("sha256").isNotNull()))
                    .select(col("uri").as("p_uri"), col("revision").as("p_rev"), col("sha256").as("p_sha"))
                    .dropDuplicates("p_uri", "p_rev");
            refs = refs.join(known, refs.col("uri").equalTo(known.col("p_uri")).and(refs.col("revision").equalTo(known.col("p_rev"))),
                    "left").withColumn("sha256", coalesce(col("sha256"), col("p_sha"))).drop("p_uri", "p_rev", "p_sha");
        }
        refs = refs.select(Arrays.stream(Schemas.WORK.fieldNames()).map(n -> col(n)).toArray(org.apache.spark.sql.Column[]::new));
        // a local file listed without a hash is hashed first (a local read; the scan itself reads less), so that it
        // is deduplicated with the rest and carried over like the rest
        refs = spark.createDataFrame(refs.javaRDD().map(Job::hashLocal), Schemas.WORK);
        refs.persist(StorageLevel.MEMORY_AND_DISK());

        // 2. each distinct content once, decided before any byte is read
        Dataset<Row> hashed = refs.filter(col("sha256").isNotNull().and(col("error").isNull())).dropDuplicates("sha256");
        Dataset<Row> unhashed = refs.filter(col("sha256").isNull().or(col("error").isNotNull())).dropDuplicates("uri");
        Dataset<Row> carried = null;
        if (prevBlobs != null) {
            Versions cur = now;
            Dataset<Row> candidates = prevBlobs.filter(col("sha256").isNotNull())
                    .join(hashed.select(col("sha256").as("h_sha")), col("sha256").equalTo(col("h_sha")), "leftsemi")
                    .dropDuplicates("sha256");
            carried = candidates.filter((org.apache.spark.api.java.function.FilterFunction<Row>) r -> !cur.needsRescan(
                    new Versions(r.getAs("laocoonVersion"), r.getAs("kbVersion"), r.getAs("kbGlobals"), r.getAs("kbPickle"),
                            r.getAs("kbOther")),
                    r.getAs("error") != null, r.getList(r.fieldIndex("formats")),
                    r.isNullAt(r.fieldIndex("globals")) ? null : r.getList(r.fieldIndex("globals")), KnowledgeBase.builtin()));
            // judged valid under today's knowledge base: stamped with it, so the next run compares with today's
            carried = carried.withColumn("kbVersion", lit(now.kb())).withColumn("kbGlobals", lit(now.kbGlobals()))
                    .withColumn("kbPickle", lit(now.kbPickle())).withColumn("kbOther", lit(now.kbOther()));
            carried = carried.select(Arrays.stream(Schemas.BLOBS.fieldNames()).map(n -> col(n))
                    .toArray(org.apache.spark.sql.Column[]::new));
            carried.persist(StorageLevel.MEMORY_AND_DISK());
            hashed = hashed.join(carried.select(col("sha256").as("c_sha")), col("sha256").equalTo(col("c_sha")), "leftanti");
        }
        Dataset<Row> work = hashed.unionByName(unhashed);

        // 3. partitions balanced by expected bytes read, one scanner and one HTTP client per partition
        JavaRDD<Row> workRdd = work.javaRDD().persist(StorageLevel.MEMORY_AND_DISK_SER());
        long toScan = workRdd.count();
        JavaRDD<Row> scannedRdd;
        if (toScan == 0) {
            scannedRdd = jsc.emptyRDD();
        } else {
            int n = o.partitions != null ? o.partitions : (int) Math.max(1, Math.min(toScan, 4L * cores));
            scannedRdd = balance(jsc, workRdd, n).mapPartitions(it -> {
                BlobScanner s = new BlobScanner(config);
                return s.scanAll(it);
            });
        }
        // the scan itself, once: the rows are kept serialized (a deserialized cache made Spark estimate the size of every
        // row with its nested findings, a third of the stage) and everything below reads them
        scannedRdd = scannedRdd.persist(StorageLevel.MEMORY_AND_DISK_SER());
        long tScan = System.nanoTime();
        long scannedCount = scannedRdd.count();
        double scanWall = (System.nanoTime() - tScan) / 1e9;
        Dataset<Row> scanned = spark.createDataFrame(scannedRdd, Schemas.BLOBS);
        workRdd.unpersist();

        // 4. the tables
        Dataset<Row> all = carried == null ? scanned : carried.unionByName(scanned);
        Dataset<Row> blobs = all.filter(col("sha256").isNotNull()).dropDuplicates("sha256")
                .unionByName(all.filter(col("sha256").isNull()));
        Dataset<Row> computed = scanned.filter(col("sha256").isNotNull()).select(col("uri").as("s_uri"), col("sha256").as("s_sha"))
                .dropDuplicates("s_uri");
        Dataset<Row> files = refs.join(computed, refs.col("uri").equalTo(computed.col("s_uri")), "left")
                .select(col("repo"), col("revision"), col("path"), col("uri"), coalesce(col("sha256"), col("s_sha")).as("sha256"));
        blobs.write().mode(SaveMode.Overwrite).parquet(o.output + "/blobs");
        files.write().mode(SaveMode.Overwrite).parquet(o.output + "/files");

        // 5. the summary, from the tables as written
        Dataset<Row> b = spark.read().parquet(o.output + "/blobs");
        Dataset<Row> f = spark.read().parquet(o.output + "/files");
        long carriedCount = carried == null ? 0 : carried.count();
        Map<String, Long> verdicts = counts(b.groupBy("verdict").count());
        Map<String, Long> formats = counts(b.select(when(size(col("formats")).equalTo(0), lit("unknown"))
                .otherwise(concat_ws("+", col("formats"))).as("k")).groupBy("k").count());
        Map<String, Long> rules = counts(b.select(explode(array_distinct(col("findings.rule"))).as("k")).groupBy("k").count());
        Dataset<Row> byRepo = f.filter(col("repo").isNotNull())
                .join(b.select(col("sha256").as("b_sha"), col("verdict")), col("sha256").equalTo(col("b_sha")), "left")
                .groupBy("repo").agg(count(lit(1)).as("files"),
                        sum(when(col("verdict").isin("malicious", "suspicious", "error"), 1).otherwise(0)).as("flagged"),
                        sum(when(col("verdict").equalTo("malicious"), 1).otherwise(0)).as("malicious"))
                .orderBy(col("malicious").desc(), col("flagged").desc(), col("files").desc(), col("repo")).limit(20);
        long blobCount = b.count();
        long fileCount = f.count();
        // what this run's scans cost, by format: for the capacity plan of docs/hub-scale.md
        List<Row> costs = scanned.select(when(size(col("formats")).equalTo(0), lit("unknown"))
                .otherwise(concat_ws("+", col("formats"))).as("k"), col("requests"), col("transferred"), col("bytesRead"),
                col("size"), col("scanSeconds")).groupBy("k").agg(count(lit(1)), sum("requests"), sum("transferred"),
                sum("bytesRead"), sum("size"), sum("scanSeconds")).orderBy(col("k")).collectAsList();
        Map<String, Double> timings = new LinkedHashMap<>();
        timings.put("sessionSeconds", o.sessionSeconds);
        timings.put("scanStageSeconds", scanWall);
        timings.put("cores", (double) cores);
        timings.put("filesPerSecondPerCore", scanWall > 0 ? scannedCount / scanWall / cores : 0);
        double inScanner = 0;
        for (Row r : costs) {
            inScanner += r.isNullAt(6) ? 0 : r.getDouble(6);
        }
        // the scanner's own time per file, summed over tasks: the job's rate without Spark's per-stage costs
        timings.put("scannerSeconds", inScanner);
        timings.put("filesPerScannerSecond", inScanner > 0 ? scannedCount / inScanner : 0);
        timings.put("totalSeconds", (System.nanoTime() - tRun) / 1e9);
        String json = summary(blobCount, fileCount, scannedCount, carriedCount, verdicts, formats, rules, byRepo.collectAsList(), now,
                costs, timings);
        writeText(spark, o.output + "/summary.json", json);
        scannedRdd.unpersist();
        refs.unpersist();
        if (carried != null) {
            carried.unpersist();
        }
        return new Result(blobCount, fileCount, scannedCount, carriedCount, verdicts, json);
    }

    /** A {@link Schemas#WORK} row with the SHA-256 of its local file when it came without one (unchanged otherwise). */
    static Row hashLocal(Row r) {
        String uri = r.getString(0);
        if (r.getString(4) != null || r.getString(6) != null || uri == null
                || !(uri.startsWith("/") || uri.regionMatches(true, 0, "file:", 0, 5))) {
            return r;
        }
        try {
            java.nio.file.Path p = uri.startsWith("/") ? java.nio.file.Path.of(uri) : java.nio.file.Path.of(URI.create(uri));
            if (!java.nio.file.Files.isRegularFile(p)) {
                return r; // the scan says why it cannot be read
            }
            long size = java.nio.file.Files.size(p);
            return RowFactory.create(uri, r.get(1), r.get(2), r.get(3), Listing.sha256(p), size, null);
        } catch (IOException | RuntimeException e) {
            return r;
        }
    }

    /** A listing: Parquet (a .parquet path or a folder of them) or JSON lines; only {@code uri} is required. */
    static Dataset<Row> readListing(SparkSession spark, String input) {
        String lower = input.toLowerCase(Locale.ROOT);
        boolean parquet = lower.endsWith(".parquet") || lower.endsWith("/") && !lower.endsWith(".jsonl/")
                || (!lower.contains("://") || lower.startsWith("file:")) && java.nio.file.Files.isDirectory(
                        java.nio.file.Path.of(lower.startsWith("file:") ? URI.create(input).getPath() : input));
        Dataset<Row> d;
        if (parquet) {
            d = spark.read().parquet(input);
            for (var field : Schemas.LISTING.fields()) {
                if (!Arrays.asList(d.columns()).contains(field.name())) {
                    d = d.withColumn(field.name(), lit(null).cast(field.dataType()));
                }
            }
            d = d.withColumn("size", col("size").cast("long"));
        } else {
            d = spark.read().schema(Schemas.LISTING).option("mode", "PERMISSIVE").json(input);
        }
        // hex digits only: translate (a character map), not lower(), which goes through ICU's case mapping per row
        return d.withColumn("sha256", org.apache.spark.sql.functions.translate(col("sha256"), "ABCDEF", "abcdef"))
                .withColumn("sha256", when(col("sha256").rlike("^[0-9a-f]{64}$"), col("sha256")))
                .withColumn("error", when(col("uri").isNull(), lit("listing line without a uri")).otherwise(lit(null).cast("string")));
    }

    /** Hub repositories to a listing: each task lists its repositories through the hub API (resolve, then the tree). */
    static Dataset<Row> expand(SparkSession spark, JavaSparkContext jsc, String reposFile, BlobScanner.Config config, int cores) {
        JavaRDD<String> ids = spark.read().textFile(reposFile).javaRDD().map(String::trim)
                .filter(s -> !s.isEmpty() && !s.startsWith("#"));
        long n = ids.count();
        int parts = (int) Math.max(1, Math.min(n, 2L * cores));
        JavaRDD<Row> rows = ids.repartition(parts).mapPartitions((Iterator<String> it) -> {
            List<Row> out = new ArrayList<>();
            try (BlobScanner s = new BlobScanner(config)) {
                HubClient client = new HubClient(s.fetcher(), URI.create(config.hub()), System.getenv("HF_TOKEN") != null);
                while (it.hasNext()) {
                    String id = it.next();
                    String ref = id.startsWith("hf://") ? id : "hf://" + id;
                    long before = s.fetcher().requests();
                    try {
                        s.pacer().acquire(2);
                        HubClient.Ref r = HubClient.parse(ref);
                        String commit = client.resolve(r);
                        for (HubClient.Entry e : client.list(r, commit)) {
                            out.add(RowFactory.create(client.fileUrl(r, commit, e.path()).toString(), r.id(), commit, e.path(),
                                    e.lfsSha256(), e.size() >= 0 ? e.size() : null, null));
                        }
                    } catch (Exception e) {
                        out.add(RowFactory.create(ref, id, null, null, null, null, "cannot list " + ref + ": " + e.getMessage()));
                    } finally {
                        s.pacer().charge(s.fetcher().requests() - before, 2);
                    }
                }
            }
            return out.iterator();
        });
        return spark.createDataFrame(rows, Schemas.WORK);
    }

    /**
     * Expected bytes a scan reads, plus a per-request cost (latency expressed in bytes): what
     * partitions are balanced on. A hashed remote file is read by ranges: a header for tensor
     * formats, the pickle for PyTorch archives, everything for bare pickles; an unhashed one is read whole.
     */
    static long cost(Row r) {
        long size = r.isNullAt(5) ? -1 : r.getLong(5);
        String uri = r.getString(0) == null ? "" : r.getString(0);
        String path = (r.getString(3) != null ? r.getString(3) : uri).toLowerCase(Locale.ROOT);
        long perRequest = 256 << 10;
        boolean remote = uri.startsWith("http");
        boolean hashedFile = r.getString(4) != null;
        if (r.getString(6) != null) {
            return 1;
        }
        if (!hashedFile) {
            return (size < 0 ? 1 << 20 : size) + (remote ? 2 * perRequest : 0); // read whole (to hash)
        }
        long expect;
        if (path.endsWith(".safetensors") || path.endsWith(".gguf")) {
            expect = Math.min(size < 0 ? 1 << 20 : size, 1 << 20);
        } else if (path.endsWith(".pkl") || path.endsWith(".pickle") || path.endsWith(".joblib") || path.endsWith(".dill")) {
            expect = size < 0 ? 1 << 20 : size;
        } else if (path.endsWith(".bin") || path.endsWith(".pt") || path.endsWith(".pth") || path.endsWith(".ckpt")) {
            expect = Math.min(size < 0 ? 4 << 20 : size, 4 << 20);
        } else {
            expect = Math.min(size < 0 ? 1 << 20 : size, 1 << 20);
        }
        return expect + (remote ? 3 * perRequest : 0);
    }

    /**
     * Places work in {@code n} partitions of about equal cost: the few heavy references (each over a
     * quarter of a partition's share) are placed largest first on the lightest partition; the many
     * light ones by hash, which balances by the law of large numbers.
     */
    static JavaRDD<Row> balance(JavaSparkContext jsc, JavaRDD<Row> work, int n) {
        long total = work.map(Job::cost).fold(0L, Long::sum);
        long threshold = Math.max(1, total / (4L * n));
        List<Tuple2<String, Long>> heavy = new ArrayList<>(work.filter(r -> cost(r) > threshold)
                .map(r -> new Tuple2<>(key(r), cost(r))).collect());
        Map<Integer, Long> light = work.filter(r -> cost(r) <= threshold)
                .mapToPair(r -> new Tuple2<>(Math.floorMod(key(r).hashCode(), n), cost(r))).reduceByKey(Long::sum).collectAsMap();
        PriorityQueue<long[]> loads = new PriorityQueue<>((a, c) -> a[0] != c[0] ? Long.compare(a[0], c[0]) : Long.compare(a[1], c[1]));
        for (int p = 0; p < n; p++) {
            loads.add(new long[] {light.getOrDefault(p, 0L), p});
        }
        heavy.sort((a, c) -> Long.compare(c._2(), a._2()));
        HashMap<String, Integer> placed = new HashMap<>();
        for (Tuple2<String, Long> h : heavy) {
            long[] least = loads.poll();
            placed.put(h._1(), (int) least[1]);
            least[0] += h._2();
            loads.add(least);
        }
        Broadcast<HashMap<String, Integer>> where = jsc.broadcast(placed);
        JavaPairRDD<Integer, Row> keyed = work.mapToPair(r -> {
            String k = key(r);
            Integer p = where.value().get(k);
            return new Tuple2<>(p != null ? p : Math.floorMod(k.hashCode(), n), r);
        });
        return keyed.partitionBy(new Exact(n)).values();
    }

    private static String key(Row r) {
        return r.getString(4) != null ? r.getString(4) : String.valueOf(r.getString(0));
    }

    /** Partition {@code i} for key {@code i}. */
    static final class Exact extends Partitioner {
        private final int n;

        Exact(int n) {
            this.n = n;
        }

        @Override
        public int numPartitions() {
            return n;
        }

        @Override
        public int getPartition(Object key) {
            return (Integer) key;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Exact e && e.n == n;
        }

        @Override
        public int hashCode() {
            return n;
        }
    }

    private static Map<String, Long> counts(Dataset<Row> grouped) {
        Map<String, Long> m = new java.util.TreeMap<>();
        for (Row r : grouped.collectAsList()) {
            m.put(String.valueOf(r.get(0)), r.getLong(1));
        }
        return m;
    }

    static String summary(long blobs, long files, long scanned, long carried, Map<String, Long> verdicts,
                          Map<String, Long> formats, Map<String, Long> rules, List<Row> top, Versions v, List<Row> costs,
                          Map<String, Double> timings) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (JsonGenerator g = new JsonFactory().createGenerator(buf, JsonEncoding.UTF8)) {
            g.useDefaultPrettyPrinter();
            g.writeStartObject();
            g.writeNumberField("blobs", blobs);
            g.writeNumberField("files", files);
            g.writeNumberField("scanned", scanned);
            g.writeNumberField("carriedOver", carried);
            map(g, "verdicts", verdicts);
            map(g, "formats", sortedByCount(formats));
            map(g, "rules", sortedByCount(rules));
            g.writeArrayFieldStart("topRepositories");
            for (Row r : top) {
                g.writeStartObject();
                g.writeStringField("repo", r.getString(0));
                g.writeNumberField("files", r.getLong(1));
                g.writeNumberField("flagged", r.getLong(2));
                g.writeNumberField("malicious", r.getLong(3));
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeObjectFieldStart("scanCosts"); // blobs scanned by this run, by format
            for (Row r : costs) {
                g.writeObjectFieldStart(r.getString(0));
                g.writeNumberField("blobs", r.getLong(1));
                g.writeNumberField("requests", r.isNullAt(2) ? 0 : r.getLong(2));
                g.writeNumberField("transferred", r.isNullAt(3) ? 0 : r.getLong(3));
                g.writeNumberField("bytesRead", r.isNullAt(4) ? 0 : r.getLong(4));
                g.writeNumberField("size", r.isNullAt(5) ? 0 : r.getLong(5));
                g.writeNumberField("scanSeconds", Math.round((r.isNullAt(6) ? 0 : r.getDouble(6)) * 1000) / 1000.0);
                g.writeEndObject();
            }
            g.writeEndObject();
            g.writeObjectFieldStart("timings");
            for (Map.Entry<String, Double> e : timings.entrySet()) {
                g.writeNumberField(e.getKey(), Math.round(e.getValue() * 1000) / 1000.0);
            }
            g.writeEndObject();
            g.writeStringField("laocoonVersion", v.laocoon());
            g.writeStringField("kbVersion", v.kb());
            g.writeEndObject();
        }
        return buf.toString(StandardCharsets.UTF_8) + "\n";
    }

    private static Map<String, Long> sortedByCount(Map<String, Long> m) {
        Map<String, Long> out = new LinkedHashMap<>();
        m.entrySet().stream().sorted((a, b) -> a.getValue().equals(b.getValue()) ? a.getKey().compareTo(b.getKey())
                : Long.compare(b.getValue(), a.getValue())).forEach(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }

    private static void map(JsonGenerator g, String name, Map<String, Long> m) throws IOException {
        g.writeObjectFieldStart(name);
        for (Map.Entry<String, Long> e : m.entrySet()) {
            g.writeNumberField(e.getKey(), e.getValue());
        }
        g.writeEndObject();
    }

    /** Writes through Hadoop's file systems, so that an s3a:// (or any) output folder works as the tables do. */
    private static void writeText(SparkSession spark, String where, String text) throws IOException {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(where);
        FileSystem fs = p.getFileSystem(conf);
        try (FSDataOutputStream o = fs.create(p, true)) {
            o.write(text.getBytes(StandardCharsets.UTF_8));
        }
    }
}
