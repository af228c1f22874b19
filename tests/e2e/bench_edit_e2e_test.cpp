// `stemforge bench edit` end to end through the real binary on an 8-second
// demo: the report's keys, the two renders bit-identical (the command
// compares the files itself and fails otherwise), every stem signal taken
// from the cache for a fader move, the meters of both renders equal and on
// the demo's loudness target, and a bad --edit refused in one line.
#include <gtest/gtest.h>

#include "tests/e2e/e2e_support.h"

namespace sf::test {
namespace {

TEST(BenchEditE2E, AFaderMoveRendersFromTheCacheBitIdenticallyAndReportsTheEditToMeterTimes) {
    TempDir dir;
    const CommandResult r = run_stemforge({"bench", "edit", "--duration", "8", "--dir", dir.path().string(), "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const nlohmann::json j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["mode"], "edit");
    EXPECT_EQ(j["backend"], "cpu");
    EXPECT_EQ(j["edit"].get<std::string>().rfind("set stems[lead].gain_db ", 0), 0u) << j["edit"];
    EXPECT_TRUE(j["bit_identical"].get<bool>());
    for (const char* run : {"cached", "uncached"}) {
        EXPECT_GT(j[run]["edit_to_meter_s"].get<double>(), 0.0) << run;
        EXPECT_TRUE(j[run]["timing"].contains("mix")) << run;
        // The demo's master holds its loudness target whatever the fader does.
        EXPECT_NEAR(j[run]["meters"]["integrated_lufs"].get<double>(), -14.0, 0.1) << run;
        EXPECT_LE(j[run]["meters"]["true_peak_dbtp"].get<double>(), -1.0 + 0.01) << run;
    }
    EXPECT_EQ(j["cached"]["meters"], j["uncached"]["meters"]);
    const auto& cache = j["cached"]["cache"];
    EXPECT_GT(cache["stem_signal_hits"].get<int>(), 0);
    EXPECT_EQ(cache["stem_signal_misses"].get<int>(), 0) << "a fader acts after the inserts";
    EXPECT_EQ(cache["eq_design_misses"].get<int>(), 0);
    EXPECT_EQ(cache["reverb_hits"].get<int>(), 1);
    EXPECT_GT(cache["bytes"].get<double>(), 0.0);
    EXPECT_GT(j["speedup"].get<double>(), 0.0);
}

TEST(BenchEditE2E, AnEditOfAStemThatDoesNotExistIsOneLineNamingIt) {
    TempDir dir;
    const CommandResult r =
        run_stemforge({"bench", "edit", "--duration", "8", "--dir", dir.path().string(), "--edit", "stems[nosuch].gain_db"});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("nosuch"), std::string::npos) << r.err;
    EXPECT_EQ(line_count(r.err.substr(r.err.find("stemforge: error"))), 1) << r.err;
}

}  // namespace
}  // namespace sf::test
