package dev.laocoon.audit;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** What scripts do that the audit reports: downloads piped into a shell, steps that reach infrastructure. */
final class ShellChecks {
    private ShellChecks() {
    }

    static final Set<String> DOWNLOADERS = Set.of("curl", "wget", "fetch", "aria2c", "http", "https", "iwr",
            "invoke-webrequest");
    static final Set<String> INTERPRETERS = Set.of("sh", "bash", "dash", "zsh", "ash", "ksh", "mksh", "busybox",
            "python", "python2", "python3", "perl", "ruby", "node", "php", "pwsh", "source", ".", "eval", "iex");

    /** A hit: the word it is about (its start is the finding's place) and what it is. */
    record Hit(Shell.Word word, String what) {
    }

    /** {@code curl URL | sh}, {@code sh -c "$(curl URL)"}, {@code bash <(wget -O- URL)}, {@code eval "$(curl ...)"}. */
    static List<Hit> pipeToShell(List<Shell.Pipeline> pipelines) {
        List<Hit> out = new ArrayList<>();
        for (Shell.Pipeline p : pipelines) {
            List<Shell.Command> cs = p.commands();
            for (int a = 0; a < cs.size(); a++) {
                if (!DOWNLOADERS.contains(cs.get(a).name().toLowerCase(Locale.ROOT))) {
                    continue;
                }
                for (int b = a + 1; b < cs.size(); b++) {
                    if (INTERPRETERS.contains(cs.get(b).name())) {
                        out.add(new Hit(cs.get(a).program(), cs.get(a).name() + " ... | " + cs.get(b).name()));
                        break;
                    }
                }
            }
            for (Shell.Command c : cs) {
                if (!INTERPRETERS.contains(c.name())) {
                    continue;
                }
                for (Shell.Word w : c.words()) {
                    Shell.Command d = downloader(w.substitutions());
                    if (d != null) {
                        out.add(new Hit(d.program(), c.name() + " runs the output of " + d.name()));
                        break;
                    }
                }
            }
        }
        return out;
    }

    private static Shell.Command downloader(List<Shell.Pipeline> ps) {
        for (Shell.Pipeline p : ps) {
            for (Shell.Command c : p.commands()) {
                if (DOWNLOADERS.contains(c.name().toLowerCase(Locale.ROOT))) {
                    return c;
                }
            }
        }
        return null;
    }

    /** Addresses and paths a build step has no business reaching. */
    static final List<String> MARKERS = List.of("169.254.169.254", "fd00:ec2::254", "metadata.google.internal",
            "100.100.100.200", "169.254.170.2", "/var/run/secrets", "/var/run/docker.sock", "/run/docker.sock",
            "/run/containerd/containerd.sock", "/var/run/crio/crio.sock", "kubernetes.default.svc",
            "KUBERNETES_SERVICE_HOST");

    /** docker/podman push or login, crane, skopeo, kubectl, ...; words naming the metadata service, secrets or sockets. */
    static List<Hit> reachesInfra(List<Shell.Pipeline> pipelines) {
        List<Hit> out = new ArrayList<>();
        for (Shell.Pipeline p : pipelines) {
            for (Shell.Command c : p.commands()) {
                String n = c.name();
                List<Shell.Word> args = c.args();
                String first = args.isEmpty() ? "" : args.get(0).text();
                if (n.equals("crane") || n.equals("gcrane") || n.equals("skopeo") || n.equals("kubectl") || n.equals("oras")
                        || n.equals("regctl") || n.equals("oc")) {
                    out.add(new Hit(c.program(), n + (first.isEmpty() ? "" : " " + first)));
                    continue;
                }
                if ((n.equals("docker") || n.equals("podman") || n.equals("buildah") || n.equals("nerdctl"))
                        && (first.equals("push") || first.equals("login") || (first.equals("buildx") && has(args, "--push")))) {
                    out.add(new Hit(c.program(), n + " " + first));
                    continue;
                }
                if (n.equals("helm") && (first.equals("push") || first.equals("registry"))) {
                    out.add(new Hit(c.program(), n + " " + first));
                    continue;
                }
                for (Shell.Word w : c.words()) {
                    String m = marker(w.text());
                    if (m != null) {
                        out.add(new Hit(w, m));
                        break;
                    }
                }
            }
        }
        return out;
    }

    private static boolean has(List<Shell.Word> ws, String s) {
        for (Shell.Word w : ws) {
            if (w.text().equals(s) || w.text().startsWith(s + "=")) {
                return true;
            }
        }
        return false;
    }

    static String marker(String text) {
        for (String m : MARKERS) {
            if (text.contains(m)) {
                return m;
            }
        }
        return null;
    }
}
