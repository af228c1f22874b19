#include "engine/session/session_edit.h"

#include <cctype>
#include <charconv>
#include <optional>
#include <vector>

#include "engine/core/message_name.h"

namespace sf {

namespace {

using nlohmann::json;

// One step of a path: a key, optionally followed by a selector in brackets.
struct Step {
    std::string key;
    std::optional<std::string> selector;  // "[...]" content: an index or a name
};

Result<std::vector<Step>> parse_path(std::string_view path) {
    std::vector<Step> steps;
    size_t i = 0;
    auto bad = [&](const std::string& why) { return fail(ErrorCode::InvalidArgument, "path \"" + std::string(path) + "\": " + why); };
    if (path.empty()) return bad("empty");
    // Shown escaped: a raw line break would split the error line.
    for (unsigned char c : path)
        if (c < 0x20 || c == 0x7f)
            return fail(ErrorCode::InvalidArgument, "path " + message_name(path) + ": holds a control character (no session key has one)");
    while (i < path.size()) {
        Step s;
        while (i < path.size() && path[i] != '.' && path[i] != '[') s.key += path[i++];
        if (s.key.empty()) return bad("a key is missing at character " + std::to_string(i + 1));
        if (i < path.size() && path[i] == '[') {
            const size_t close = path.find(']', i);
            if (close == std::string_view::npos) return bad("unclosed [");
            s.selector = std::string(path.substr(i + 1, close - i - 1));
            if (s.selector->empty()) return bad("empty []");
            i = close + 1;
        }
        steps.push_back(std::move(s));
        if (i < path.size()) {
            if (path[i] != '.') return bad("expected . after ]");
            ++i;
            if (i == path.size()) return bad("ends with .");
        }
    }
    return steps;
}

std::optional<size_t> as_index(const std::string& s) {
    size_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

// The element of array `a` (at `where`) that `selector` names: an index, or
// the object whose "name" is the selector.
Result<size_t> select(const json& a, const std::string& selector, const std::string& where) {
    if (auto i = as_index(selector)) {
        if (*i >= a.size()) return fail(ErrorCode::InvalidArgument, where + ": index " + selector + " is out of range (" + std::to_string(a.size()) + " elements)");
        return *i;
    }
    for (size_t i = 0; i < a.size(); ++i)
        if (a[i].is_object() && a[i].contains("name") && a[i]["name"] == selector) return i;
    return fail(ErrorCode::InvalidArgument, where + ": no element named \"" + selector + "\"");
}

enum class Op { Set, Add, Remove };

Result<Session> edit(const Session& session, std::string_view path, const json* value, Op op) {
    auto steps = parse_path(path);
    if (!steps) return std::unexpected(steps.error());
    json doc = json::parse(to_json(session));
    json* node = &doc;
    std::string where;
    for (size_t k = 0; k < steps->size(); ++k) {
        const Step& s = (*steps)[k];
        const bool last = k + 1 == steps->size();
        where += (where.empty() ? "" : ".") + s.key;
        if (!node->is_object()) return fail(ErrorCode::InvalidArgument, std::string(path) + ": " + where + " is not inside an object");
        if (!s.selector) {
            if (last) {
                if (op == Op::Set) (*node)[s.key] = *value;
                else if (op == Op::Add) {
                    json& arr = (*node)[s.key];
                    if (arr.is_null()) arr = json::array();
                    if (!arr.is_array()) return fail(ErrorCode::InvalidArgument, std::string(path) + ": " + where + " is not an array");
                    arr.push_back(*value);
                } else {  // remove a key: the block or value is absent again
                    if (!node->contains(s.key)) return fail(ErrorCode::InvalidArgument, std::string(path) + ": " + where + " is not set");
                    node->erase(s.key);
                }
                break;
            }
            json& next = (*node)[s.key];  // absent objects on the way are created
            if (next.is_null()) next = json::object();
            node = &next;
            continue;
        }
        if (!node->contains(s.key) || !(*node)[s.key].is_array())
            return fail(ErrorCode::InvalidArgument, std::string(path) + ": " + where + " is not an array");
        json& arr = (*node)[s.key];
        auto i = select(arr, *s.selector, std::string(path));
        if (!i) return std::unexpected(i.error());
        where += "[" + std::to_string(*i) + "]";
        if (last) {
            if (op == Op::Set) arr[*i] = *value;
            else if (op == Op::Remove) arr.erase(*i);
            else return fail(ErrorCode::InvalidArgument, std::string(path) + ": add appends to an array: name the array, not an element");
            break;
        }
        node = &arr[*i];
    }
    auto edited = parse_session(doc.dump(), session.base_dir, session.file.empty() ? std::string("session") : session.file.string());
    if (!edited) return std::unexpected(edited.error());
    edited->file = session.file;
    return edited;
}

}  // namespace

Result<Session> session_set(const Session& session, std::string_view path, const json& value) {
    return edit(session, path, &value, Op::Set);
}

Result<Session> session_add(const Session& session, std::string_view path, const json& value) {
    return edit(session, path, &value, Op::Add);
}

Result<Session> session_remove(const Session& session, std::string_view path) { return edit(session, path, nullptr, Op::Remove); }

}  // namespace sf
