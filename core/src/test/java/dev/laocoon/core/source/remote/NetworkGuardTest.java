package dev.laocoon.core.source.remote;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The SSRF guard's decisions, tested on addresses only: nothing here opens a connection or asks
 * DNS (every address is a literal, parsed by {@link NetworkGuard#literal}).
 */
class NetworkGuardTest {
    static InetAddress lit(String s) {
        InetAddress a = NetworkGuard.literal(s);
        assertThat(a).as(s).isNotNull();
        return a;
    }

    @ParameterizedTest
    @ValueSource(strings = {"169.254.169.254", "169.254.0.1", "2852039166", "0251.0376.0251.0376", "0xa9fea9fe",
            "0xa9.0xfe.0xa9.0xfe", "169.254.43518", "169.16689662", "[::ffff:169.254.169.254]", "::ffff:a9fe:a9fe",
            "[fd00:ec2::254]", "fe80::1", "[fe80::1%25eth0]", "64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::1",
            "::169.254.169.254"})
    void metadataAndLinkLocalSpellingsAreRefused(String host) {
        NetworkGuard.Decision d = NetworkGuard.strict().check(lit(host));
        assertThat(d.allowed()).as(host).isFalse();
        assertThat(d.reason()).containsAnyOf("link-local", "metadata");
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "127.1", "2130706433", "0x7f000001", "0177.0.0.1", "[::1]", "::", "0.0.0.0", "0",
            "10.0.0.1", "172.16.5.4", "172.31.255.255", "192.168.1.1", "100.64.0.1", "fc00::1", "fd12:3456::1",
            "224.0.0.1", "255.255.255.255", "[::ffff:10.0.0.1]", "::ffff:127.0.0.1", "2001:db8::1", "192.0.0.170"})
    void loopbackPrivateAndSpecialAddressesAreRefused(String host) {
        assertThat(NetworkGuard.strict().check(lit(host)).allowed()).as(host).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"93.184.215.14", "8.8.8.8", "172.32.0.1", "172.15.255.255", "100.128.0.1", "[2606:4700::1111]",
            "2002:0808:0808::1", "1.2.3.4"})
    void publicUnicastAddressesAreAllowed(String host) {
        assertThat(NetworkGuard.strict().check(lit(host)).allowed()).as(host).isTrue();
    }

    @Test
    void allowPrivateLetsPrivateRangesThroughButNotLinkLocalOrLoopback() {
        NetworkGuard g = NetworkGuard.allowing(List.of(), true);
        assertThat(g.check(lit("10.1.2.3")).allowed()).isTrue();
        assertThat(g.check(lit("fd12::1")).allowed()).isTrue();
        assertThat(g.check(lit("169.254.169.254")).allowed()).isFalse();
        assertThat(g.check(lit("fd00:ec2::254")).allowed()).isFalse();
        assertThat(g.check(lit("127.0.0.1")).allowed()).isFalse();
    }

    @Test
    void anAllowedHostIsMatchedByTheUrlsHostOrTheLiteral() {
        NetworkGuard g = NetworkGuard.allowing(List.of("LocalHost", "127.0.0.2"), false);
        assertThat(g.check("localhost", lit("127.0.0.1")).allowed()).isTrue();
        assertThat(g.check("other.example", lit("127.0.0.2")).allowed()).isTrue();
        assertThat(g.check("other.example", lit("127.0.0.3")).allowed()).isFalse();
        // an allowed name does not make other names resolving to the same address allowed
        assertThat(g.check("evil.example", lit("127.0.0.1")).allowed()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"example.com", "localhost", "1.2.3.4.5", "256.1.1.1", "1.2.3.256", "0x1g", "4294967296",
            "12.", "-1", "09.1.1.1"})
    void namesAndMalformedNumbersAreNotLiterals(String host) {
        assertThat(NetworkGuard.literal(host)).as(host).isNull();
    }

    @Test
    void numericSpellingsAreReadAsInetAtonReadsThem() {
        assertThat(lit("2852039166").getHostAddress()).isEqualTo("169.254.169.254");
        assertThat(lit("0251.0376.0251.0376").getHostAddress()).isEqualTo("169.254.169.254");
        assertThat(lit("169.254.43518").getHostAddress()).isEqualTo("169.254.169.254");
        assertThat(lit("127.1").getHostAddress()).isEqualTo("127.0.0.1");
        assertThat(lit("0x7f.1").getHostAddress()).isEqualTo("127.0.0.1");
    }

    @org.junit.jupiter.api.Test
    void aHostWithAPortIsAllowedOnThatPortOnly() throws Exception {
        NetworkGuard g = NetworkGuard.allowing(java.util.List.of("localhost:8080", "[::1]:9000"), false);
        java.net.InetAddress lo = java.net.InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        org.assertj.core.api.Assertions.assertThat(g.check("localhost", 8080, lo).allowed()).isTrue();
        org.assertj.core.api.Assertions.assertThat(g.check("localhost", 8081, lo).allowed()).isFalse();
        org.assertj.core.api.Assertions.assertThat(g.check("localhost", lo).allowed()).isFalse();
        org.assertj.core.api.Assertions.assertThat(g.check("[::1]", 9000,
                java.net.InetAddress.getByName("::1")).allowed()).isTrue();
    }
}
