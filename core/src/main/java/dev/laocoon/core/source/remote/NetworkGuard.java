package dev.laocoon.core.source.remote;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The SSRF guard of every remote fetch: decides, for an address a connection is about to be made
 * to, whether a scanner serving many tenants may connect there. On by default it refuses every
 * address that is not a public unicast one: loopback, link-local (the cloud metadata services at
 * 169.254.169.254 and fd00:ec2::254 among them), private, carrier-grade NAT, unique-local,
 * unspecified, multicast, broadcast and documentation ranges, and the same addresses embedded in
 * IPv6 (IPv4-mapped, IPv4-compatible, NAT64 64:ff9b::/96, 6to4 2002::/16). Hosts and private ranges
 * are let through only by an explicit allow ({@code --allow-host}, {@code --allow-private}).
 *
 * <p>The decision is made on addresses, never on host names: a caller resolves the name, checks
 * every address with {@link #check(InetAddress)}, and connects to the address it checked (so DNS
 * rebinding between the check and the connection is not possible). Numeric host spellings that
 * C resolvers accept ({@code 2852039166}, {@code 0251.0376.0251.0376}, {@code 0xa9fea9fe},
 * {@code 169.254.43518}) are read by {@link #literal(String)} as {@code inet_aton} reads them, so
 * that they are judged as the address they name and never sent to DNS. Nothing here connects.
 */
public final class NetworkGuard {
    /** The guard's answer: allowed, or refused with the reason. */
    public record Decision(boolean allowed, String reason) {
        static Decision allow() {
            return new Decision(true, null);
        }

        static Decision refuse(String reason) {
            return new Decision(false, reason);
        }
    }

    private final Set<String> allowedHosts;
    private final boolean allowPrivate;

    private NetworkGuard(Set<String> allowedHosts, boolean allowPrivate) {
        this.allowedHosts = allowedHosts;
        this.allowPrivate = allowPrivate;
    }

    /** The default guard: public unicast addresses only. */
    public static NetworkGuard strict() {
        return new NetworkGuard(Set.of(), false);
    }

    /**
     * A guard that also allows the given hosts (names or literal addresses, as given on the
     * command line; matched case-insensitively against the host a connection is for), and,
     * with {@code allowPrivate}, private, unique-local and carrier-grade NAT ranges. Link-local
     * and metadata addresses stay refused unless their literal is an allowed host. An entry
     * {@code HOST:PORT} ({@code [v6]:PORT} for an IPv6 literal) allows that port of the host only.
     */
    public static NetworkGuard allowing(List<String> hosts, boolean allowPrivate) {
        java.util.HashSet<String> h = new java.util.HashSet<>();
        for (String s : hosts) {
            h.add(s.toLowerCase(Locale.ROOT));
        }
        return new NetworkGuard(Set.copyOf(h), allowPrivate);
    }

    /** The decision for connecting to {@code address} on behalf of {@code host} (the URL's host), any port. */
    public Decision check(String host, InetAddress address) {
        return check(host, -1, address);
    }

    /**
     * The decision for connecting to {@code address} port {@code port} on behalf of {@code host}:
     * allowed when the host or the address is an allowed host, with or without that port, or when
     * the address itself is allowed.
     */
    public Decision check(String host, int port, InetAddress address) {
        String h = host == null ? null : host.toLowerCase(Locale.ROOT);
        String a = address.getHostAddress().toLowerCase(Locale.ROOT);
        if (h != null && (allowedHosts.contains(h) || port >= 0 && allowedHosts.contains(withPort(h, port)))) {
            return Decision.allow();
        }
        if (allowedHosts.contains(a) || port >= 0 && allowedHosts.contains(withPort(a, port))) {
            return Decision.allow();
        }
        Decision d = check(address);
        if (!d.allowed() && port >= 0 && !allowedHosts.isEmpty()) {
            for (String e : allowedHosts) {
                if (e.startsWith(h + ":") || e.startsWith("[" + h + "]:") || e.startsWith(a + ":")
                        || e.startsWith("[" + a + "]:")) {
                    return Decision.refuse(d.reason() + "; only other ports of it are allowed");
                }
            }
        }
        return d;
    }

    private static String withPort(String host, int port) {
        String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        return (bare.indexOf(':') >= 0 ? "[" + bare + "]" : bare) + ":" + port;
    }

    /** The decision for an address alone. */
    public Decision check(InetAddress address) {
        byte[] a = address.getAddress();
        if (address instanceof Inet6Address) {
            byte[] embedded = embeddedIpv4(a);
            if (embedded != null) {
                Decision d = ipv4(embedded);
                return d.allowed() ? d : Decision.refuse(d.reason() + ", embedded in the IPv6 address "
                        + address.getHostAddress());
            }
            return ipv6(a);
        }
        return ipv4(a);
    }

    private Decision ipv4(byte[] a) {
        int b0 = a[0] & 0xff;
        int b1 = a[1] & 0xff;
        String addr = b0 + "." + b1 + "." + (a[2] & 0xff) + "." + (a[3] & 0xff);
        if (b0 == 169 && b1 == 254) {
            return Decision.refuse(addr + " is link-local (169.254.0.0/16: cloud metadata services live here)");
        }
        if (b0 == 127) {
            return Decision.refuse(addr + " is loopback");
        }
        if (b0 == 0) {
            return Decision.refuse(addr + " is an unspecified or 'this network' address (0.0.0.0/8 reaches the host itself)");
        }
        if (b0 >= 224) {
            return Decision.refuse(addr + (b0 < 240 ? " is multicast" : " is reserved or broadcast"));
        }
        if (b0 == 192 && b1 == 0 && (a[2] & 0xff) == 0) {
            return Decision.refuse(addr + " is an IETF protocol assignment (192.0.0.0/24)");
        }
        boolean priv = b0 == 10 || b0 == 172 && b1 >= 16 && b1 < 32 || b0 == 192 && b1 == 168
                || b0 == 100 && b1 >= 64 && b1 < 128 || b0 == 198 && (b1 == 18 || b1 == 19);
        if (priv) {
            return allowPrivate ? Decision.allow()
                    : Decision.refuse(addr + " is a private address (allow with --allow-private or --allow-host)");
        }
        return Decision.allow();
    }

    private Decision ipv6(byte[] a) {
        String addr = ipv6Text(a);
        boolean zero = true;
        for (int i = 0; i < 15; i++) {
            zero &= a[i] == 0;
        }
        if (zero && (a[15] == 0 || a[15] == 1)) {
            return Decision.refuse(addr + (a[15] == 1 ? " is loopback" : " is unspecified"));
        }
        int w0 = (a[0] & 0xff) << 8 | (a[1] & 0xff);
        if ((w0 & 0xffc0) == 0xfe80) {
            return Decision.refuse(addr + " is link-local (fe80::/10)");
        }
        if ((a[0] & 0xff) == 0xff) {
            return Decision.refuse(addr + " is multicast");
        }
        if (w0 == 0xfd00 && isMetadata6(a)) {
            return Decision.refuse(addr + " is a cloud metadata service address (fd00:ec2::254)");
        }
        if ((w0 & 0xfe00) == 0xfc00) {
            return allowPrivate ? Decision.allow()
                    : Decision.refuse(addr + " is unique-local (fc00::/7; allow with --allow-private or --allow-host)");
        }
        if ((w0 & 0xffc0) == 0xfec0) {
            return Decision.refuse(addr + " is site-local (fec0::/10, deprecated)");
        }
        if (w0 == 0x2001 && ((a[2] & 0xff) << 8 | (a[3] & 0xff)) == 0x0db8) {
            return Decision.refuse(addr + " is a documentation address (2001:db8::/32)");
        }
        return Decision.allow();
    }

    private static boolean isMetadata6(byte[] a) {
        // fd00:ec2::254
        byte[] m = {(byte) 0xfd, 0, 0x0e, (byte) 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54};
        return java.util.Arrays.equals(a, m);
    }

    /** The IPv4 address an IPv6 address carries (mapped, compatible, NAT64, 6to4), or null. */
    static byte[] embeddedIpv4(byte[] a) {
        boolean first10Zero = true;
        for (int i = 0; i < 10; i++) {
            first10Zero &= a[i] == 0;
        }
        if (first10Zero && (a[10] & 0xff) == 0xff && (a[11] & 0xff) == 0xff) {
            return java.util.Arrays.copyOfRange(a, 12, 16); // ::ffff:a.b.c.d
        }
        if (first10Zero && a[10] == 0 && a[11] == 0 && !(a[12] == 0 && a[13] == 0 && a[14] == 0 && (a[15] & 0xfe) == 0)) {
            return java.util.Arrays.copyOfRange(a, 12, 16); // ::a.b.c.d (deprecated compatible form)
        }
        if ((a[0] & 0xff) == 0x00 && (a[1] & 0xff) == 0x64 && (a[2] & 0xff) == 0xff && (a[3] & 0xff) == 0x9b) {
            boolean mid = true;
            for (int i = 4; i < 12; i++) {
                mid &= a[i] == 0;
            }
            if (mid) {
                return java.util.Arrays.copyOfRange(a, 12, 16); // 64:ff9b::a.b.c.d (NAT64)
            }
        }
        if ((a[0] & 0xff) == 0x20 && (a[1] & 0xff) == 0x02) {
            return java.util.Arrays.copyOfRange(a, 2, 6); // 2002:AABB:CCDD::/48 (6to4)
        }
        return null;
    }

    private static String ipv6Text(byte[] a) {
        try {
            return InetAddress.getByAddress(a).getHostAddress();
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The address a host spelling names when it is a numeric literal, read as C's {@code inet_aton}
     * (and so curl, wget and Python's socket functions) reads IPv4 (one to four parts, each decimal,
     * octal with a leading 0 or hex with 0x; the last part fills the remaining bytes), or a bracketed
     * or bare IPv6 literal; null for a host name (which must be resolved, then each address checked).
     * Never performs a lookup.
     */
    public static InetAddress literal(String host) {
        String h = host;
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        try {
            if (h.indexOf(':') >= 0) {
                int zone = h.indexOf('%');
                String bare = zone >= 0 ? h.substring(0, zone) : h;
                if (!bare.matches("[0-9A-Fa-f:.]+")) {
                    return null;
                }
                return InetAddress.getByName(bare); // an IPv6 literal: parsed, not looked up
            }
            long[] parts = new long[4];
            String[] p = h.split("\\.", -1);
            if (p.length == 0 || p.length > 4) {
                return null;
            }
            for (int i = 0; i < p.length; i++) {
                Long v = number(p[i]);
                if (v == null) {
                    return null;
                }
                parts[i] = v;
            }
            long value;
            switch (p.length) {
                case 1 -> value = parts[0];
                case 2 -> value = parts[0] > 0xff || parts[1] > 0xffffff ? -1 : parts[0] << 24 | parts[1];
                case 3 -> value = parts[0] > 0xff || parts[1] > 0xff || parts[2] > 0xffff ? -1
                        : parts[0] << 24 | parts[1] << 16 | parts[2];
                default -> value = parts[0] > 0xff || parts[1] > 0xff || parts[2] > 0xff || parts[3] > 0xff ? -1
                        : parts[0] << 24 | parts[1] << 16 | parts[2] << 8 | parts[3];
            }
            if (value < 0 || value > 0xffffffffL) {
                return null;
            }
            return Inet4Address.getByAddress(new byte[] {(byte) (value >>> 24), (byte) (value >>> 16),
                    (byte) (value >>> 8), (byte) value});
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static Long number(String s) {
        if (s.isEmpty()) {
            return null;
        }
        int radix = 10;
        String d = s;
        if (s.length() > 1 && (s.startsWith("0x") || s.startsWith("0X"))) {
            radix = 16;
            d = s.substring(2);
        } else if (s.length() > 1 && s.startsWith("0")) {
            radix = 8;
            d = s.substring(1);
        }
        if (d.isEmpty()) {
            return radix == 16 ? 0L : null;
        }
        if (d.length() > 12) {
            return null;
        }
        try {
            return Long.parseLong(d, radix);
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
