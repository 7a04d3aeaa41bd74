package dev.laocoon.core.internal.format.jinja;

import dev.laocoon.core.internal.format.jinja.JinjaValue.Kind;
import dev.laocoon.core.internal.format.jinja.JinjaValue.Num;
import dev.laocoon.core.internal.format.jinja.JinjaValue.Seq;
import dev.laocoon.core.internal.format.jinja.JinjaValue.Str;
import dev.laocoon.core.internal.format.jinja.JinjaValue.Unknown;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/**
 * Jinja's arithmetic operators on constants as Python computes them ({@code + * % - // **} on
 * integers, strings and lists; {@code str % args} is {@link PyStr#percentFormat}), and unknowns
 * with the right flags otherwise. Pure functions, for {@link JinjaAnalyzer}.
 */
final class JinjaArith {
    private JinjaArith() {
    }

    static JinjaValue arith(String op, JinjaValue l, JinjaValue r) {
        BigInteger li = l instanceof Num n && n.n() instanceof BigInteger bi ? bi : null;
        BigInteger ri = r instanceof Num n && n.n() instanceof BigInteger bi ? bi : null;
        switch (op) {
            case "+" -> {
                if (li != null && ri != null) {
                    return new Num(li.add(ri));
                }
                if (l instanceof Seq a && r instanceof Seq c) {
                    List<JinjaValue> all = new ArrayList<>(a.items());
                    all.addAll(c.items());
                    return all.size() > 4 * JinjaAnalyzer.MAX_UNROLL ? JinjaValue.opaque(Kind.SEQ, false, a, c)
                            : new Seq(List.copyOf(all), a.tuple());
                }
                if (l instanceof Str || r instanceof Str || l instanceof Unknown u && u.kind() == Kind.STR
                        || r instanceof Unknown u2 && u2.kind() == Kind.STR) {
                    return PyStr.concat(PyStr.toStr(l), PyStr.toStr(r));
                }
                if (l instanceof Unknown && r instanceof Unknown) {
                    return PyStr.concat(l, r);
                }
                return JinjaValue.opaque(Kind.ANY, false, l, r);
            }
            case "*" -> {
                if (li != null && ri != null) {
                    return new Num(li.multiply(ri));
                }
                JinjaValue seq = li == null ? l : r;
                BigInteger times = li == null ? ri : li;
                if (seq instanceof Str s) {
                    if (times == null) {
                        return new Unknown(Kind.STR, "", s.s().indexOf('_') >= 0, false);
                    }
                    long t = times.signum() <= 0 ? 0 : times.min(BigInteger.valueOf(JinjaValue.MAX_STRING + 1L))
                            .longValue();
                    if (t * s.s().length() > JinjaValue.MAX_STRING) {
                        return JinjaValue.str(s.s().repeat((int) Math.min(t, JinjaValue.MAX_STRING + 1L)));
                    }
                    return new Str(s.s().repeat((int) t));
                }
                if (seq instanceof Seq q && times != null && times.signum() >= 0
                        && times.longValue() * q.items().size() <= 4L * JinjaAnalyzer.MAX_UNROLL) {
                    List<JinjaValue> all = new ArrayList<>();
                    for (long k = 0; k < times.longValue(); k++) {
                        all.addAll(q.items());
                    }
                    return new Seq(List.copyOf(all), q.tuple());
                }
                return JinjaValue.opaque(Kind.ANY, false, l, r);
            }
            case "%" -> {
                if (l instanceof Str s) {
                    return PyStr.percentFormat(s.s(), r);
                }
                if (li != null && ri != null && ri.signum() != 0) {
                    BigInteger m = li.mod(ri.abs());
                    return new Num(ri.signum() < 0 && m.signum() != 0 ? m.add(ri) : m);
                }
                return l instanceof Unknown u && u.kind() != Kind.NUM ? JinjaValue.opaque(Kind.STR, true, l, r)
                        : JinjaValue.opaque(Kind.NUM, false, l, r);
            }
            case "-" -> {
                if (li != null && ri != null) {
                    return new Num(li.subtract(ri));
                }
                return JinjaValue.UNKNOWN_NUM;
            }
            case "//" -> {
                if (li != null && ri != null && ri.signum() != 0) {
                    BigInteger[] qr = li.divideAndRemainder(ri);
                    return new Num(qr[1].signum() != 0 && (qr[1].signum() != ri.signum()) ? qr[0].subtract(BigInteger.ONE)
                            : qr[0]);
                }
                return JinjaValue.UNKNOWN_NUM;
            }
            case "**" -> {
                if (li != null && ri != null && ri.signum() >= 0 && ri.compareTo(BigInteger.valueOf(64)) <= 0
                        && li.bitLength() <= 64) {
                    return new Num(li.pow(ri.intValue()));
                }
                return JinjaValue.UNKNOWN_NUM;
            }
            default -> {
                return JinjaValue.UNKNOWN_NUM;
            }
        }
    }
}
