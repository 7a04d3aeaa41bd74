package dev.laocoon.core.source.remote;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;

/** The bodies {@link RemoteFetcher} reads: bounded in memory, or to a file with its SHA-256. */
final class Bodies {
    private Bodies() {
    }

    interface Sub<T> extends HttpResponse.BodySubscriber<T> {
        /** Stops the body (a deadline passed). */
        void abort();

        /** True when the body was longer than the limit (and was cut there). */
        boolean truncated();

        /** The body's SHA-256 where it is computed, else null. */
        default String sha256() {
            return null;
        }
    }


    /** Keeps at most {@code max} bytes; one more byte marks the body as longer, and reading stops there. */
    static final class Limited implements Bodies.Sub<byte[]> {
        private final int max;
        private final java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        private final CompletableFuture<byte[]> done = new CompletableFuture<>();
        private volatile Flow.Subscription sub;
        private volatile boolean truncated;

        Limited(int max) {
            this.max = max;
        }

        @Override
        public boolean truncated() {
            return truncated;
        }

        @Override
        public void abort() {
            Flow.Subscription s = sub;
            if (s != null) {
                s.cancel();
            }
        }

        @Override
        public java.util.concurrent.CompletionStage<byte[]> getBody() {
            return done;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            sub = s;
            s.request(1);
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            for (ByteBuffer b : items) {
                int room = max - buf.size();
                int n = b.remaining();
                if (n > room) {
                    byte[] t = new byte[Math.max(room, 0)];
                    b.get(t);
                    buf.write(t, 0, t.length);
                    truncated = true;
                    sub.cancel();
                    done.complete(buf.toByteArray());
                    return;
                }
                byte[] t = new byte[n];
                b.get(t);
                buf.write(t, 0, n);
            }
            sub.request(1);
        }

        @Override
        public void onError(Throwable t) {
            done.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            done.complete(buf.toByteArray());
        }
    }

    /** Writes a 200 body to a file up to a limit, hashing it; other statuses' bodies are dropped. */
    static final class ToFile implements Bodies.Sub<Long> {
        private final Path file;
        private final long max;
        private final CompletableFuture<Long> done = new CompletableFuture<>();
        private final MessageDigest sha;
        private FileChannel ch;
        private volatile Flow.Subscription sub;
        private long n;
        private volatile boolean truncated;
        private String hex;

        ToFile(Path file, long max) throws IOException {
            this.file = file;
            this.max = max;
            try {
                this.sha = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public boolean truncated() {
            return truncated;
        }

        @Override
        public void abort() {
            Flow.Subscription s = sub;
            if (s != null) {
                s.cancel();
            }
            close();
        }

        @Override
        public String sha256() {
            return hex;
        }

        @Override
        public java.util.concurrent.CompletionStage<Long> getBody() {
            return done;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            sub = s;
            try {
                ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING,
                        StandardOpenOption.CREATE);
            } catch (IOException e) {
                s.cancel();
                done.completeExceptionally(e);
                return;
            }
            s.request(1);
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            try {
                for (ByteBuffer b : items) {
                    int len = b.remaining();
                    if (n + len > max) {
                        truncated = true;
                        sub.cancel();
                        finish();
                        return;
                    }
                    sha.update(b.duplicate());
                    while (b.hasRemaining()) {
                        ch.write(b);
                    }
                    n += len;
                }
                sub.request(1);
            } catch (IOException e) {
                sub.cancel();
                close();
                done.completeExceptionally(e);
            }
        }

        private void finish() {
            close();
            StringBuilder s = new StringBuilder();
            for (byte x : sha.digest()) {
                s.append(Character.forDigit((x >> 4) & 15, 16)).append(Character.forDigit(x & 15, 16));
            }
            hex = s.toString();
            done.complete(n);
        }

        private void close() {
            try {
                if (ch != null) {
                    ch.close();
                }
            } catch (IOException ignored) {
                // the caller removes the file
            }
        }

        @Override
        public void onError(Throwable t) {
            close();
            done.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            finish();
        }
    }
}
