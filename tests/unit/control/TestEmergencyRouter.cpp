// Precedence between alerts, as the gateway routes stations: one table, enforced here.

#include "control/EmergencyRouter.hpp"

#include <gtest/gtest.h>

#include "common/Error.hpp"

using namespace loa;

namespace {
AlertStanding standing(AlertStatus status, bool fromParent = false) {
    return {status, fromParent, 0};
}
}  // namespace

TEST(AlertPrecedence, ActualAboveExerciseAboveTestThenTheParentThenTheNewer) {
    const AlertStanding actual{AlertStatus::actual, false, 1}, exercise{AlertStatus::exercise, true, 2},
        test{AlertStatus::test, true, 3}, parentActual{AlertStatus::actual, true, 0},
        newerActual{AlertStatus::actual, false, 9};
    EXPECT_TRUE(actual.above(exercise));
    EXPECT_TRUE(exercise.above(test));
    EXPECT_FALSE(test.above(actual)) << "a test never outranks an actual alert, parent or not";
    EXPECT_TRUE(parentActual.above(actual)) << "equal status: the parent's";
    EXPECT_FALSE(newerActual.above(actual)) << "being newer takes no slot";
    EXPECT_TRUE(newerActual.heardOver(actual)) << "but a station both list hears the newer";
    EXPECT_TRUE(parentActual.heardOver(newerActual));
    EXPECT_FALSE(test.heardOver(actual));
}

TEST(EmergencyRouter, AStationHearsTheAlertThatOutranksTheOthersAndGoesBackWhenItEnds) {
    EmergencyRouter router(3);
    router.take("actual", standing(AlertStatus::actual, true), {"a", "b"});
    const auto t = router.take("local-test", standing(AlertStatus::test), {"b", "c"});
    EXPECT_FALSE(t.displaced);
    EXPECT_EQ(router.emergencyFor("b"), "actual") << "a local test does not replace a parent's actual alert";
    EXPECT_EQ(router.slotFor("b"), 0u);
    EXPECT_EQ(router.emergencyFor("c"), "local-test");
    EXPECT_EQ(router.emergencyFor("d"), std::nullopt);
    EXPECT_EQ(router.release("actual"), (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(router.emergencyFor("b"), "local-test") << "b goes to the alert still listing it";
    EXPECT_EQ(router.emergencyFor("a"), std::nullopt);
    EXPECT_TRUE(router.add("local-test", "a"));
    EXPECT_EQ(router.emergencyFor("a"), "local-test");
    EXPECT_FALSE(router.add("gone", "a"));
    EXPECT_EQ(router.following().size(), 3u);
}

TEST(EmergencyRouter, WhenEverySlotIsOnAirOnlyAnAlertAboveOneTakesASlotTheLowestOne) {
    EmergencyRouter router(2);
    router.take("exercise", standing(AlertStatus::exercise), {"a"});
    router.take("test", standing(AlertStatus::test), {"b"});
    EXPECT_THROW(router.take("test-2", standing(AlertStatus::test), {"c"}), Error);
    const auto actual = router.take("actual", standing(AlertStatus::actual), {"c"});
    ASSERT_TRUE(actual.displaced);
    EXPECT_EQ(*actual.displaced, "test") << "the lowest-standing one gives up its slot";
    EXPECT_EQ(actual.displacedStations, (std::vector<std::string>{"b"}));
    EXPECT_EQ(actual.slot, 1u);
    EXPECT_EQ(router.emergencyFor("b"), std::nullopt);
    const auto parentExercise = router.take("parent-exercise", standing(AlertStatus::exercise, true), {"d"});
    EXPECT_EQ(parentExercise.displaced, "exercise") << "equal status: the parent's takes a local one's slot";
    EXPECT_EQ(router.take("actual-2", standing(AlertStatus::actual), {"e"}).displaced, "parent-exercise")
        << "actual is above exercise, whatever its origin";
    EXPECT_THROW(router.take("actual-3", standing(AlertStatus::actual), {"f"}), Error)
        << "no actual alert gives up its slot to a newer actual alert";
}
