package dev.laocoon.audit;

import dev.laocoon.core.finding.Finding;
import dev.laocoon.core.finding.Location;
import dev.laocoon.core.finding.Severity;
import java.util.ArrayList;
import java.util.List;

/** The findings of one file, each at a line and column of it. */
final class Sink {
    final String display;
    final List<Finding> findings = new ArrayList<>();

    Sink(String display) {
        this.display = display;
    }

    Location at(String path, int line, int column) {
        return Location.of(display).within(Location.Within.text(path, line, column));
    }

    void add(AuditRule rule, String message, String path, int line, int column, String evidence) {
        add(rule, rule.defaultSeverity(), message, path, line, column, evidence);
    }

    void add(AuditRule rule, Severity severity, String message, String path, int line, int column, String evidence) {
        findings.add(new Finding(rule, severity, message, at(path, line, column), evidence));
    }

    void add(AuditRule rule, Severity severity, String message, String path, int line, int column, String evidence,
             List<Location> related) {
        findings.add(new Finding(rule, severity, message, at(path, line, column), evidence, related));
    }

    void add(AuditRule rule, String message, Yaml.Y at, String evidence) {
        add(rule, rule.defaultSeverity(), message, at.path(), at.line(), at.column(), evidence);
    }

    void add(AuditRule rule, Severity severity, String message, Yaml.Y at, String evidence) {
        add(rule, severity, message, at.path(), at.line(), at.column(), evidence);
    }
}
