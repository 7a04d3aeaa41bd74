package dev.laocoon.audit;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/** The rules for Dockerfiles (a Space's build): LAO921-LAO926. */
final class DockerAudit {
    private DockerAudit() {
    }

    static final Pattern SECRET_NAME = Pattern.compile(
            "(?i).*(TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIALS?|AUTH)(_[A-Z0-9]+)?$");

    static void audit(String text, Sink sink) {
        Dockerfile.Parsed parsed = Dockerfile.parse(text);
        Set<String> stages = new HashSet<>();
        Dockerfile.Instruction lastFrom = null;
        Dockerfile.Instruction lastUser = null;
        for (Dockerfile.Instruction in : parsed.instructions()) {
            switch (in.keyword()) {
                case "FROM" -> {
                    from(in, stages, sink);
                    lastFrom = in;
                    lastUser = null;
                }
                case "USER" -> lastUser = in;
                case "RUN" -> run(in, sink);
                case "ADD" -> add(in, sink);
                case "ARG", "ENV" -> secrets(in, sink);
                default -> {
                }
            }
        }
        if (lastFrom != null) {
            if (lastUser == null) {
                sink.add(AuditRule.ROOT_USER, "the final stage sets no USER, so the container runs as root",
                        "FROM", lastFrom.line(), lastFrom.column(), lastFrom.args().text().strip());
            } else {
                String u = lastUser.args().text().strip();
                String name = u.contains(":") ? u.substring(0, u.indexOf(':')) : u;
                if (name.equals("root") || name.equals("0")) {
                    sink.add(AuditRule.ROOT_USER, "the final stage runs as " + u, "USER", lastUser.line(), lastUser.column(), u);
                }
            }
        }
    }

    private static void from(Dockerfile.Instruction in, Set<String> stages, Sink sink) {
        String[] w = in.args().text().strip().split("\\s+");
        if (w.length == 0 || w[0].isEmpty()) {
            return;
        }
        String image = w[0];
        if (w.length >= 3 && w[w.length - 2].equalsIgnoreCase("AS")) {
            stages.add(w[w.length - 1].toLowerCase(Locale.ROOT));
        }
        if (image.equals("scratch") || stages.contains(image.toLowerCase(Locale.ROOT)) && !image.contains("/")
                && !image.contains(":")) {
            return;
        }
        if (!image.contains("@sha256:")) {
            int at = in.args().text().indexOf(image);
            String tag = tagOf(image);
            sink.add(AuditRule.UNPINNED_BASE, "the base image " + image + " is named by "
                    + (tag == null ? "no tag (latest)" : "the tag " + tag) + ", not by digest: its content can change under the build",
                    "FROM", in.args().line(at), in.args().col(at), image);
        }
    }

    private static String tagOf(String image) {
        int slash = image.lastIndexOf('/');
        int colon = image.lastIndexOf(':');
        return colon > slash ? image.substring(colon + 1) : null;
    }

    private static void run(Dockerfile.Instruction in, Sink sink) {
        List<Src> scripts = new ArrayList<>();
        if (in.exec() != null) {
            // exec form: the program and its arguments; sh -c SCRIPT is a script again
            List<String> e = in.exec();
            if (e.size() >= 3 && ShellChecks.INTERPRETERS.contains(Shell.base(e.get(0))) && e.get(1).equals("-c")) {
                scripts.add(Src.flat(e.get(2), in.args().line(0), in.args().col(0)));
            } else {
                StringBuilder b = new StringBuilder();
                for (String s : e) {
                    b.append(b.length() == 0 ? "" : " ").append('\'').append(s.replace("'", "'\\''")).append('\'');
                }
                scripts.add(Src.flat(b.toString(), in.args().line(0), in.args().col(0)));
            }
        } else {
            scripts.add(in.args());
        }
        String head = in.args().text().strip();
        for (Dockerfile.Heredoc h : in.heredocs()) {
            // RUN <<EOF (the body is the script) or RUN sh <<EOF / bash -e <<EOF: a shell reads it;
            // RUN python3 <<EOF: another language, whose body is only searched for the addresses and paths
            String before = head.substring(0, Math.max(0, head.indexOf("<<"))).strip();
            String prog = before.isEmpty() ? "" : Shell.base(before.split("\\s+")[0]);
            String body = h.body().text();
            boolean shebangOther = body.startsWith("#!") && !body.startsWith("#!/bin/sh") && !body.startsWith("#!/bin/bash")
                    && !body.startsWith("#!/usr/bin/env bash") && !body.startsWith("#!/usr/bin/env sh");
            if ((before.isEmpty() && !shebangOther) || SHELLS.contains(prog)) {
                scripts.add(h.body());
            } else {
                markers(h.body(), sink);
            }
        }
        for (Src s : scripts) {
            if (s == null) {
                continue;
            }
            if (Shell.tooDeep(s.text())) {
                sink.add(AuditRule.UNREADABLE, "the RUN script nests substitutions deeper than " + Shell.MAX_DEPTH
                        + " levels; it was not fully audited", "RUN", s.line(0), s.col(0), "");
            }
            List<Shell.Pipeline> ps = Shell.all(s.text());
            for (ShellChecks.Hit hit : ShellChecks.pipeToShell(ps)) {
                sink.add(AuditRule.PIPE_TO_SHELL, "RUN pipes a download into a shell (" + hit.what()
                        + "): whatever the server sends runs in the build", "RUN", s.line(hit.word().start()),
                        s.col(hit.word().start()), hit.what());
            }
            for (ShellChecks.Hit hit : ShellChecks.reachesInfra(ps)) {
                sink.add(AuditRule.BUILD_REACHES_INFRA, "a build step reaches infrastructure a build has no business with ("
                        + hit.what() + ")", "RUN", s.line(hit.word().start()), s.col(hit.word().start()), hit.what());
            }
        }
    }

    static final Set<String> SHELLS = Set.of("sh", "bash", "dash", "zsh", "ash", "ksh", "mksh");

    /** A heredoc body a shell does not read (python3 <<EOF): the metadata address or a socket named in it. */
    private static void markers(Src body, Sink sink) {
        String t = body.text();
        for (String m : ShellChecks.MARKERS) {
            int at = t.indexOf(m);
            if (at >= 0) {
                sink.add(AuditRule.BUILD_REACHES_INFRA, "a build step reaches infrastructure a build has no business with ("
                        + m + ")", "RUN", body.line(at), body.col(at), m);
                return;
            }
        }
    }

    private static void add(Dockerfile.Instruction in, Sink sink) {
        if (in.hasFlag("--checksum=")) {
            return;
        }
        String[] w = in.args().text().strip().split("\\s+");
        for (int k = 0; k + 1 < w.length || (k == 0 && w.length == 1); k++) {
            String s = w[k].replace("\"", "").replace("[", "").replace(",", "");
            String l = s.toLowerCase(Locale.ROOT);
            if (l.startsWith("http://") || l.startsWith("https://") || l.startsWith("git@") || l.startsWith("ftp://")) {
                int at = in.args().text().indexOf(s);
                sink.add(AuditRule.ADD_URL, "ADD fetches " + s + " at build time without --checksum: the server decides"
                        + " what goes into the image", "ADD", in.args().line(at), in.args().col(at), s);
            }
        }
    }

    private static void secrets(Dockerfile.Instruction in, Sink sink) {
        String t = in.args().text();
        // ARG NAME[=default] ...; ENV K=V ... or ENV K V
        List<int[]> names = new ArrayList<>();
        int i = 0;
        boolean legacyEnv = in.keyword().equals("ENV") && !t.strip().isEmpty() && !t.strip().split("\\s+")[0].contains("=");
        while (i < t.length()) {
            while (i < t.length() && Character.isWhitespace(t.charAt(i))) {
                i++;
            }
            int s = i;
            while (i < t.length() && (Character.isLetterOrDigit(t.charAt(i)) || t.charAt(i) == '_')) {
                i++;
            }
            if (i > s) {
                names.add(new int[] {s, i});
            }
            if (legacyEnv) {
                break; // ENV K the rest is the value
            }
            // skip the value (quoted or not)
            if (i < t.length() && t.charAt(i) == '=') {
                i++;
                if (i < t.length() && (t.charAt(i) == '"' || t.charAt(i) == '\'')) {
                    char q = t.charAt(i);
                    int e = t.indexOf(q, i + 1);
                    i = e < 0 ? t.length() : e + 1;
                }
            }
            while (i < t.length() && !Character.isWhitespace(t.charAt(i))) {
                i++;
            }
        }
        for (int[] n : names) {
            String name = t.substring(n[0], n[1]);
            if (SECRET_NAME.matcher(name).matches() && !name.endsWith("_FILE") && !name.endsWith("_PATH")) {
                sink.add(AuditRule.BUILD_SECRET, in.keyword() + " " + name + " passes a secret through the build: "
                        + (in.keyword().equals("ARG") ? "build arguments are kept in the image history"
                        : "ENV values are kept in the image configuration") + "; use RUN --mount=type=secret",
                        in.keyword(), in.args().line(n[0]), in.args().col(n[0]), name);
            }
        }
    }
}
