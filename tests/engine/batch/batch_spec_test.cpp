// The batch file's parser: the contract's example, job names, the errors
// (every one, each naming its JSON path), the frozen copy.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "engine/batch/batch_spec.h"

namespace sf {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const fs::path kBase = "/data/batches";

Result<BatchSpec> parse(const json& j) { return parse_batch(j.dump(), kBase, "b.json"); }

std::vector<std::string> lines(const std::string& s) {
    std::vector<std::string> out;
    size_t at = 0;
    while (at <= s.size()) {
        const size_t nl = s.find('\n', at);
        out.push_back(s.substr(at, nl == std::string::npos ? std::string::npos : nl - at));
        if (nl == std::string::npos) break;
        at = nl + 1;
    }
    return out;
}

// DESIGN.md's example, as written there.
const char* kContractExample = R"({"format": "stemforge-batch", "version": 1, "output_dir": "out",
 "jobs": [{"session": "a/session.json"},
          {"album": "b/album.json"},
          {"session": "c/session.json", "variants": [
             {"name": "instrumental", "set": {"stems[lead_vox].mute": true}},
             {"name": "vocal-up", "set": {"stems[lead_vox].gain_db": 1.5}}]}]})";

TEST(BatchSpec, ParsesTheContractExample) {
    auto spec = parse_batch(kContractExample, kBase, "b.json");
    ASSERT_TRUE(spec) << spec.error().message;
    EXPECT_EQ(spec->output_dir, kBase / "out");
    ASSERT_EQ(spec->jobs.size(), 3u);
    EXPECT_EQ(spec->jobs[0].kind, BatchJobKind::Session);
    EXPECT_EQ(spec->jobs[0].file, kBase / "a/session.json");
    EXPECT_EQ(spec->jobs[0].name, "a");
    EXPECT_EQ(spec->jobs[1].kind, BatchJobKind::Album);
    EXPECT_EQ(spec->jobs[1].name, "b");
    EXPECT_EQ(spec->jobs[2].name, "c");
    ASSERT_EQ(spec->jobs[0].variants.size(), 1u);
    EXPECT_EQ(spec->jobs[0].variants[0].name, "main");
    ASSERT_EQ(spec->jobs[2].variants.size(), 2u);
    const BatchEdit& e = spec->jobs[2].variants[1].set.at(0);
    EXPECT_EQ(e.path, "stems[lead_vox].gain_db");
    EXPECT_EQ(e.value, json(1.5));
    EXPECT_EQ(e.json_path, "jobs[2].variants[1].set[\"stems[lead_vox].gain_db\"]");

    const auto tasks = batch_tasks(*spec);
    ASSERT_EQ(tasks.size(), 4u);
    EXPECT_EQ(batch_task_dir(*spec, tasks[0]), kBase / "out/a/main");
    EXPECT_EQ(batch_task_dir(*spec, tasks[1]), kBase / "out/b/main");
    EXPECT_EQ(batch_task_dir(*spec, tasks[2]), kBase / "out/c/instrumental");
    EXPECT_EQ(batch_task_dir(*spec, tasks[3]), kBase / "out/c/vocal-up");
    EXPECT_EQ(tasks[3].index, 3u);
    EXPECT_EQ(tasks[3].job, 2u);
    EXPECT_EQ(tasks[3].variant, 1u);
}

TEST(BatchSpec, SetEditsKeepTheOrderWritten) {
    // Applied in order: a block set whole, then one of its keys.
    auto spec = parse_batch(R"({"format": "stemforge-batch", "version": 1, "jobs": [{"session": "s.json",
        "set": {"stems[0].eq": {"mode": "linear", "bands": []}, "stems[0].eq.mode": "minimum", "a": 1}}]})", kBase, "b.json");
    ASSERT_TRUE(spec) << spec.error().message;
    ASSERT_EQ(spec->jobs[0].set.size(), 3u);
    EXPECT_EQ(spec->jobs[0].set[0].path, "stems[0].eq");
    EXPECT_EQ(spec->jobs[0].set[1].path, "stems[0].eq.mode");
    EXPECT_EQ(spec->jobs[0].set[2].path, "a");
    EXPECT_EQ(spec->output_dir, kBase / "out");  // the default
}

TEST(BatchSpec, DerivedNamesAreFolderNamesMadeUnique) {
    auto spec = parse({{"format", "stemforge-batch"}, {"version", 1},
                       {"jobs", {{{"session", "x/session.json"}},
                                 {{"session", "y/x/session.json"}},
                                 {{"session", "songs/My Song (v2).json"}},
                                 {{"album", "album.json"}},
                                 {{"session", "z/session.json"}, {"name", "x-2"}},
                                 {{"session", "summary.json"}},
                                 {{"session", ".hidden.json"}}}}});
    ASSERT_TRUE(spec) << spec.error().message;
    // An explicit name wins over a derived one ("x-2" is taken by jobs[4]).
    EXPECT_EQ(spec->jobs[0].name, "x");
    EXPECT_EQ(spec->jobs[1].name, "x-3");
    EXPECT_EQ(spec->jobs[2].name, "My_Song__v2_");
    EXPECT_EQ(spec->jobs[3].name, "batches");  // album.json: its folder
    EXPECT_EQ(spec->jobs[4].name, "x-2");
    EXPECT_EQ(spec->jobs[5].name, "summary");
    EXPECT_EQ(spec->jobs[6].name, "_hidden");
    for (const auto& j : spec->jobs) EXPECT_TRUE(is_batch_folder_name(j.name)) << j.name;
}

TEST(BatchSpec, EveryErrorIsReportedNamingItsPath) {
    auto spec = parse({{"format", "stemforge-batch"}, {"version", 1}, {"ouput_dir", "o"}, {"extra", true},
                       {"jobs", {{{"session", ""}},
                                 {{"session", "a.json"}, {"album", "b.json"}},
                                 {{"session", "c.json"}, {"set", json::array()}},
                                 {{"session", "d.json"}, {"variants", {{{"name", "v"}}, {{"name", "v"}}, {{"name", ".x"}}, 3}}},
                                 {{"album", "e.json"}, {"set", {{"a", 1}}}},
                                 {{"session", "f.json"}, {"name", "a/b"}},
                                 {{"session", "g.json"}, {"name", "summary.json"}},
                                 {{"session", "h.json"}, {"variants", json::array()}},
                                 "a string"}}});
    ASSERT_FALSE(spec);
    EXPECT_EQ(spec.error().code, ErrorCode::InvalidArgument);
    const std::vector<std::string> want = {
        // nlohmann::json writes keys sorted: the unknown ones in that order.
        "b.json: extra: unknown key",
        "b.json: ouput_dir: unknown key (did you mean \"output_dir\"?)",
        "b.json: jobs[0].session: must not be empty",
        "b.json: jobs[1]: has both \"session\" and \"album\": a job renders one of them",
        "b.json: jobs[2].set: must be an object of session paths and values, not an array",
        "b.json: jobs[3].variants[1].name: \"v\" is also jobs[3].variants[0]'s name (each variant has its own folder)",
        "b.json: jobs[3].variants[2].name: \".x\" is not a folder name (1-100 letters, digits, '.', '-', '_'; not starting with '.')",
        "b.json: jobs[3].variants[3]: must be an object, not a number",
        "b.json: jobs[4].set: edits apply to session jobs only (an album's tracks are edited in their own sessions)",
        "b.json: jobs[5].name: \"a/b\" is not a folder name (1-100 letters, digits, '.', '-', '_'; not starting with '.'; not \"summary.json\")",
        "b.json: jobs[6].name: \"summary.json\" is not a folder name (1-100 letters, digits, '.', '-', '_'; not starting with '.'; not \"summary.json\")",
        "b.json: jobs[7].variants: must not be empty (leave it out for one variant, \"main\")",
        "b.json: jobs[8]: must be an object, not a string",
    };
    EXPECT_EQ(lines(spec.error().message), want);
}

TEST(BatchSpec, TopLevelErrors) {
    auto a = parse_batch("[1]", kBase, "b.json");
    ASSERT_FALSE(a);
    EXPECT_EQ(a.error().message, "b.json: (top level): a batch file is a JSON object, not an array");
    auto b = parse({{"version", "1"}});
    ASSERT_FALSE(b);
    EXPECT_EQ(lines(b.error().message), (std::vector<std::string>{"b.json: format: is required (\"stemforge-batch\")", "b.json: version: must be 1, not \"1\"",
                                                                  "b.json: jobs: is required (a list of session and album jobs)"}));
    auto c = parse({{"format", "stemforge-batch"}, {"version", 1}, {"output_dir", 5}, {"jobs", {{{"session", 7}}}}});
    ASSERT_FALSE(c);
    EXPECT_EQ(lines(c.error().message), (std::vector<std::string>{"b.json: output_dir: must be a string, not a number", "b.json: jobs[0].session: must be a string, not a number"}));
    auto d = parse_batch("{\"format\": \"stemforge-batch\",\n \"jobs\": [1,]}", kBase, "b.json");
    ASSERT_FALSE(d);
    EXPECT_NE(d.error().message.find("b.json: malformed JSON"), std::string::npos) << d.error().message;
    EXPECT_NE(d.error().message.find("line 2"), std::string::npos) << d.error().message;
}

TEST(BatchSpec, TheFrozenCopyParsesToTheSameTasksAnywhere) {
    auto spec = parse_batch(kContractExample, kBase, "b.json");
    ASSERT_TRUE(spec);
    spec->file = kBase / "b.json";
    const std::string frozen = batch_to_frozen_json(*spec);
    auto again = parse_batch(frozen, "/somewhere/else", "frozen.json");
    ASSERT_TRUE(again) << again.error().message << "\n" << frozen;
    EXPECT_EQ(again->origin, kBase / "b.json");
    EXPECT_EQ(batch_origin(*again), kBase / "b.json");
    EXPECT_EQ(again->output_dir, spec->output_dir);
    ASSERT_EQ(again->jobs.size(), spec->jobs.size());
    for (size_t i = 0; i < spec->jobs.size(); ++i) {
        EXPECT_EQ(again->jobs[i].file, spec->jobs[i].file);
        EXPECT_EQ(again->jobs[i].kind, spec->jobs[i].kind);
        EXPECT_EQ(again->jobs[i].name, spec->jobs[i].name);
        EXPECT_EQ(again->jobs[i].set, spec->jobs[i].set);
        EXPECT_EQ(again->jobs[i].variants, spec->jobs[i].variants);
    }
    const auto t1 = batch_tasks(*spec), t2 = batch_tasks(*again);
    ASSERT_EQ(t1.size(), t2.size());
    for (size_t i = 0; i < t1.size(); ++i) EXPECT_EQ(batch_task_dir(*spec, t1[i]), batch_task_dir(*again, t2[i]));
}

TEST(BatchSpec, FolderNames) {
    EXPECT_TRUE(is_batch_folder_name("main"));
    EXPECT_TRUE(is_batch_folder_name("vocal-up_2.1"));
    EXPECT_FALSE(is_batch_folder_name(""));
    EXPECT_FALSE(is_batch_folder_name("."));
    EXPECT_FALSE(is_batch_folder_name(".."));
    EXPECT_FALSE(is_batch_folder_name("a/b"));
    EXPECT_FALSE(is_batch_folder_name("a b"));
    EXPECT_FALSE(is_batch_folder_name(std::string(101, 'a')));
}

}  // namespace
}  // namespace sf
