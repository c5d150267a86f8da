#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <sstream>

#include "api/PrometheusText.hpp"

namespace loa {
namespace {

TEST(PrometheusText, EachFamilyHasHelpAndTypeThenItsSamples) {
    PrometheusText m;
    m.single("loa_up", "gauge", "1 while it runs.", 1)
        .family("loa_packets_total", "counter", "Packets.")
        .sample("loa_packets_total", uint64_t{18446744073709551615u}, {{"station", "a"}})
        .sample("loa_packets_total", 0, {{"station", "b"}, {"feed", "live"}});
    EXPECT_EQ(m.str(),
              "# HELP loa_up 1 while it runs.\n# TYPE loa_up gauge\nloa_up 1\n"
              "# HELP loa_packets_total Packets.\n# TYPE loa_packets_total counter\n"
              "loa_packets_total{station=\"a\"} 18446744073709551615\n"
              "loa_packets_total{station=\"b\",feed=\"live\"} 0\n");
}

TEST(PrometheusText, LabelValuesAndHelpAreEscapedAndDoublesWrittenExactly) {
    PrometheusText m;
    m.family("loa_x", "gauge", "a \\ b\nc").sample("loa_x", 0.25, {{"id", "q\"u\\o\nte"}}).sample("loa_x", 1e-6);
    EXPECT_EQ(m.str(),
              "# HELP loa_x a \\\\ b\\nc\n# TYPE loa_x gauge\nloa_x{id=\"q\\\"u\\\\o\\nte\"} 0.25\nloa_x 1e-06\n");
}

}  // namespace
}  // namespace loa
