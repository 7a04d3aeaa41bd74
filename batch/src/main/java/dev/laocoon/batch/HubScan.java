package dev.laocoon.batch;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code laocoon batch}: rescans of a hub (or any listing of model files) on Apache Spark, each
 * distinct content scanned once, by range reads. Submitted with {@code spark-submit --class
 * dev.laocoon.batch.HubScan laocoon-batch.jar ...}, or run in-process ({@code --master local[N]}).
 * {@code --list DIR} writes a listing of a local tree and needs no Spark.
 */
public final class HubScan {
    private HubScan() {
    }

    static final String USAGE = String.join("\n",
            "usage: laocoon batch --input LISTING | --repos FILE  --output DIR [options]",
            "       laocoon batch --list DIR > listing.jsonl",
            "",
            "  --input LISTING       JSON lines, or Parquet (a .parquet file, a local folder, a URL ending in /): uri, repo, revision, path,",
            "                        sha256, size (only uri is required); file:, http(s): and s3:// uris",
            "  --repos FILE          hub repository ids, one a line (org/name, datasets/org/name, @revision allowed),",
            "                        listed through the hub API by the job",
            "  --hub URL             the hub of --repos (default $HF_ENDPOINT, else https://huggingface.co); token: $HF_TOKEN",
            "  --output DIR          writes DIR/blobs and DIR/files (Parquet) and DIR/summary.json; DIR may be",
            "                        s3://bucket/prefix/ in-process (staged, then put there), s3a://... on a cluster",
            "  --previous DIR        an earlier output (a folder, s3:// or s3a://): blobs whose verdict cannot have",
            "                        changed are carried over",
            "  --master URL          Spark master when run in-process (default local[*]; spark-submit sets its own)",
            "  --partitions N        scan partitions (default 4 per core), balanced by expected bytes read",
            "  --requests-per-second R  all tasks together (default 15 with --repos, the hub's resolver limit; else unpaced)",
            "  --timeout SECONDS     per file (default 60); --attempts N per request (default 4)",
            "  --in-flight N         remote files each task reads at once (default 8; local files: one at a time)",
            "  --allow-host HOST     let this host's private/loopback address be read (mirrors, tests); --allow-private",
            "  --s3-endpoint URL, --s3-region R, --s3-path-style   for s3:// uris (the s3 module's lister; AWS credentials",
            "                        from the usual environment)",
            "  --list DIR|s3://B/P   print a listing of the files under DIR (hashed) or the objects under an s3:// prefix");

    public static void main(String[] args) {
        int code;
        try {
            code = run(args, System.out, System.err);
        } catch (Throwable e) {
            System.err.println("laocoon batch: " + e);
            code = 2;
        }
        System.exit(code);
    }

    static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("laocoon batch: " + e.getMessage());
            err.println(USAGE);
            return 2;
        }
        if (o.help) {
            out.println(USAGE);
            return 0;
        }
        if (o.list != null) {
            if (o.list.regionMatches(true, 0, "s3://", 0, 5)) {
                try {
                    Listing.writeObjects(Listing.lister("s3").list(o.list, dev.laocoon.core.source.remote.NetworkGuard
                            .allowing(o.allowHosts, o.allowPrivate), o.s3Options), out);
                } catch (java.io.IOException e) {
                    err.println("laocoon batch: " + e.getMessage());
                    return 2;
                }
                return 0;
            }
            if (!Files.isDirectory(Path.of(o.list))) {
                err.println("laocoon batch: --list needs a folder or an s3:// prefix: " + o.list);
                return 2;
            }
            Listing.write(Path.of(o.list), out);
            return 0;
        }
        // Spark's classes are first touched here: --list and --help run without them
        return Job.runInProcess(o, out, err);
    }

    /** The command line. */
    static final class Options implements java.io.Serializable {
        String input;
        String repos;
        String hub;
        String output;
        String previous;
        String master;
        Integer partitions;
        Double requestsPerSecond;
        long timeoutSeconds = 60;
        int attempts = 4;
        int inFlight = 8;
        long firstBackoffMillis = 500;
        List<String> allowHosts = new ArrayList<>();
        boolean allowPrivate;
        String list;
        java.util.HashMap<String, String> s3Options = new java.util.HashMap<>();
        boolean help;
        /** Filled in by the in-process run: how long the Spark session took to start. */
        double sessionSeconds;

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                String v = null;
                int eq = a.indexOf('=');
                if (a.startsWith("--") && eq > 0) {
                    v = a.substring(eq + 1);
                    a = a.substring(0, eq);
                }
                switch (a) {
                    case "-h", "--help" -> o.help = true;
                    case "--allow-private" -> o.allowPrivate = true;
                    case "--s3-path-style" -> o.s3Options.put("pathStyle", "true");
                    default -> {
                        if (v == null) {
                            if (i + 1 >= args.length) {
                                throw new IllegalArgumentException(a + " needs a value");
                            }
                            v = args[++i];
                        }
                        switch (a) {
                            case "--input" -> o.input = v;
                            case "--repos" -> o.repos = v;
                            case "--hub" -> o.hub = v;
                            case "--output" -> o.output = v;
                            case "--previous" -> o.previous = v;
                            case "--master" -> o.master = v;
                            case "--partitions" -> o.partitions = positive(a, v);
                            case "--requests-per-second" -> o.requestsPerSecond = Double.parseDouble(v);
                            case "--timeout" -> o.timeoutSeconds = positive(a, v);
                            case "--attempts" -> o.attempts = positive(a, v);
                            case "--in-flight" -> o.inFlight = positive(a, v);
                            case "--retry-backoff-ms" -> o.firstBackoffMillis = positive(a, v);
                            case "--allow-host" -> o.allowHosts.add(v);
                            case "--list" -> o.list = v;
                            case "--s3-endpoint" -> o.s3Options.put("endpoint", v);
                            case "--s3-region" -> o.s3Options.put("region", v);
                            default -> throw new IllegalArgumentException("unknown option " + a);
                        }
                    }
                }
            }
            if (o.help || o.list != null) {
                return o;
            }
            if ((o.input == null) == (o.repos == null)) {
                throw new IllegalArgumentException("give one of --input LISTING or --repos FILE");
            }
            if (o.output == null) {
                throw new IllegalArgumentException("--output DIR is required");
            }
            try {
                o.hub = dev.laocoon.core.source.remote.HubClient.endpoint(o.hub, "--hub").toString();
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException(e.getMessage());
            }
            return o;
        }

        private static int positive(String name, String v) {
            try {
                int n = Integer.parseInt(v);
                if (n > 0) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // below
            }
            throw new IllegalArgumentException(name + " needs a positive number, not " + v);
        }
    }
}
