package dev.laocoon.server;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.function.DoubleSupplier;

/**
 * The service's Prometheus metrics (text format at {@code /metrics}): scans by verdict and outermost
 * format, bytes received, scan durations, queue depth, cache hits and rejections by reason. No
 * tenant names or file names appear in labels.
 */
final class Metrics {
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter scans;
    private final Counter bytes;
    private final Histogram durations;
    private final Counter cacheHits;
    private final Counter rejections;
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();

    Metrics(DoubleSupplier queueDepth, DoubleSupplier running, DoubleSupplier tempBytes) {
        scans = Counter.builder().name("laocoon_scans_total").help("Scans finished, by verdict and outermost format")
                .labelNames("verdict", "format").register(registry);
        bytes = Counter.builder().name("laocoon_received_bytes_total").help("Bytes of uploads received").register(registry);
        durations = Histogram.builder().name("laocoon_scan_duration_seconds").help("Time to scan one upload")
                .classicOnly().classicUpperBounds(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300)
                .register(registry);
        cacheHits = Counter.builder().name("laocoon_cache_hits_total").help("Uploads answered from the content cache")
                .register(registry);
        rejections = Counter.builder().name("laocoon_rejections_total").help("Requests refused, by reason")
                .labelNames("reason").register(registry);
        GaugeWithCallback.builder().name("laocoon_queue_depth").help("Uploads admitted and not yet being scanned")
                .callback(cb -> cb.call(queueDepth.getAsDouble())).register(registry);
        GaugeWithCallback.builder().name("laocoon_scans_running").help("Scans running now")
                .callback(cb -> cb.call(running.getAsDouble())).register(registry);
        GaugeWithCallback.builder().name("laocoon_temp_bytes").help("Bytes held in the temporary folder")
                .callback(cb -> cb.call(tempBytes.getAsDouble())).register(registry);
    }

    void scanned(String verdict, String format, double seconds) {
        scans.labelValues(verdict, format).inc();
        durations.observe(seconds);
    }

    void received(long n) {
        bytes.inc(n);
    }

    void cacheHit() {
        cacheHits.inc();
    }

    void rejected(String reason) {
        rejections.labelValues(reason).inc();
    }

    String contentType() {
        return writer.getContentType();
    }

    byte[] scrape() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writer.write(out, registry.scrape());
        return out.toByteArray();
    }
}
