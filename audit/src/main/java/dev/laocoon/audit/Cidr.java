package dev.laocoon.audit;

import dev.laocoon.core.source.remote.NetworkGuard;
import java.net.InetAddress;

/**
 * An address block of a NetworkPolicy ({@code 10.0.0.0/8}, {@code fd00::/8}), decided on addresses
 * alone: literals are parsed, nothing is ever looked up or connected to.
 */
record Cidr(byte[] address, int bits) {

    static final Cidr METADATA_V4 = parse("169.254.169.254/32");
    static final Cidr METADATA_V6 = parse("fd00:ec2::254/128");

    /** The block, or null when the text is not one (then a policy naming it is taken as allowing everything). */
    static Cidr parse(String text) {
        if (text == null) {
            return null;
        }
        String t = text.trim();
        int slash = t.indexOf('/');
        String addr = slash < 0 ? t : t.substring(0, slash);
        // strict literals only: dotted quads of four decimal parts, or IPv6 text
        if (addr.indexOf(':') < 0 && !addr.matches("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})")) {
            return null;
        }
        InetAddress a = NetworkGuard.literal(addr);
        if (a == null) {
            return null;
        }
        byte[] b = a.getAddress();
        int bits;
        if (slash < 0) {
            bits = b.length * 8;
        } else {
            try {
                bits = Integer.parseInt(t.substring(slash + 1));
            } catch (NumberFormatException e) {
                return null;
            }
        }
        if (bits < 0 || bits > b.length * 8) {
            return null;
        }
        return new Cidr(b, bits);
    }

    /** True when every address of {@code other} is in this block (same family only). */
    boolean covers(Cidr other) {
        if (other.address.length != address.length || other.bits < bits) {
            return false;
        }
        for (int i = 0; i < bits; i++) {
            int mask = 0x80 >>> (i % 8);
            if ((address[i / 8] & mask) != (other.address[i / 8] & mask)) {
                return false;
            }
        }
        return true;
    }
}
