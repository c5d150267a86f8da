#include <gtest/gtest.h>

#include "app/StationSync.hpp"
#include "common/Error.hpp"

namespace loa {
namespace {

StationSettings synced(const std::string& id, const std::string& address = "127.0.0.1:6000") {
    StationSettings s;
    s.id = id;
    s.programme = "national";
    s.address = *SocketAddress::parse(address);
    return s;
}

std::vector<std::string> ids(const std::vector<const StationSettings*>& stations) {
    std::vector<std::string> out;
    for (const auto* s : stations)
        out.push_back(s->id);
    return out;
}

TEST(StationSync, OnlyStationsWhoseStreamChangedAreMadeAnew) {
    auto retargeted = synced("b");
    retargeted.area = "01/001";  // what emergencies target: not the stream
    auto rekeyed = synced("c");
    rekeyed.keyEpoch = 1;
    const std::vector<StationSettings> before = {synced("a"), synced("b"), synced("c"), synced("d"), synced("e")};
    const std::vector<StationSettings> after = {synced("a"), retargeted, rekeyed, synced("e", "127.0.0.1:6001"),
                                                synced("f")};
    const auto c = compareStations(before, after);
    EXPECT_EQ(c.leaving, (std::vector<std::string>{"c", "d", "e"}));
    EXPECT_EQ(c.gone, (std::vector<std::string>{"d"}));
    EXPECT_EQ(ids(c.arriving), (std::vector<std::string>{"c", "e", "f"}));
    EXPECT_EQ(c.arriving[0], &after[2]);  // points into the new list
    EXPECT_EQ(c.summary(), "1 station(s) added, 2 changed, 1 removed");
    EXPECT_TRUE(sameStream(before[1], retargeted));
    EXPECT_FALSE(sameStream(before[2], rekeyed));
}

TEST(StationSync, NothingChangesBetweenEqualLists) {
    const std::vector<StationSettings> list = {synced("a"), synced("b")};
    const auto c = compareStations(list, list);
    EXPECT_TRUE(c.leaving.empty() && c.gone.empty() && c.arriving.empty());
    EXPECT_EQ(c.summary(), "0 station(s) added, 0 changed, 0 removed");
}

TEST(StationSync, RuntimeChangesAreLaidOverInOrderAndOneThatNoLongerParsesIsSkippedAndSaid) {
    struct Item {
        std::string id, value;
    };
    const std::vector<StateStore::Change> changes = {
        {"a", "", true},        // removed
        {"b", "b2", false},     // replaced
        {"c", "c1", false},     // added
        {"c", "c2", false},     // then replaced again: the latest wins
        {"d", "broken", false}  // no longer parses
    };
    std::vector<std::string> said;
    const auto out = overlaid(
        std::vector<Item>{{"a", "a1"}, {"b", "b1"}}, changes,
        [](const std::string& definition, std::vector<Item>& current) {
            if (definition == "broken") throw Error("bad definition");
            return Item{definition.substr(0, 1), definition + "/" + std::to_string(current.size())};
        },
        [&](const std::string& id, const std::string& why) { said.push_back(id + ": " + why); });
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].id, "b");
    EXPECT_EQ(out[0].value, "b2/0");  // parsed with the others lent to it (a removed, b taken out)
    EXPECT_EQ(out[1].id, "c");
    EXPECT_EQ(out[1].value, "c2/1");
    EXPECT_EQ(said, (std::vector<std::string>{"d: bad definition"}));
}

}  // namespace
}  // namespace loa
