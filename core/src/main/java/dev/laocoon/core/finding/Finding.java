package dev.laocoon.core.finding;

import java.util.List;

/**
 * One thing a rule found. {@code evidence} is a short rendering of what a loader would do,
 * e.g. {@code os.system('echo hi')}. {@code related} are other places the finding links to (the
 * model file a pod loads, for the audit's chain link); usually empty.
 */
public record Finding(RuleDescriptor rule, Severity severity, String message, Location location, String evidence,
                      List<Location> related) {

    public Finding {
        if (evidence == null) {
            evidence = "";
        }
        related = related == null ? List.of() : List.copyOf(related);
    }

    public Finding(RuleDescriptor rule, Severity severity, String message, Location location, String evidence) {
        this(rule, severity, message, location, evidence, List.of());
    }

    public String ruleId() {
        return rule.id();
    }
}
