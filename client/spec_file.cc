#include "client/spec_file.h"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"
#include "server/shared/utf8.h"
#include "yaml-cpp/yaml.h"

namespace capi_bridge::client {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using nlohmann::json;

class Converter {
 public:
  json Message(const YAML::Node& node, const Descriptor* type,
               const std::string& path) {
    if (node.IsNull()) return json::object();
    if (!node.IsMap()) {
      Fail(path, "(not a mapping)",
           absl::StrCat("a mapping of ", type->name(), " fields"));
      return json::object();
    }
    json out = json::object();
    for (const auto& entry : node) {
      std::string key = entry.first.as<std::string>();
      const FieldDescriptor* field = type->FindFieldByName(key);
      if (field == nullptr) field = type->FindFieldByCamelcaseName(key);
      std::string field_path = Join(path, key);
      if (field == nullptr) {
        std::vector<std::string> names;
        for (int i = 0; i < type->field_count(); ++i) {
          names.push_back(type->field(i)->name());
        }
        Fail(field_path, key,
             absl::StrCat("a field of ", type->name(), ": ",
                          absl::StrJoin(names, ", ")));
        continue;
      }
      out[field->name()] = Field(entry.second, field, field_path);
    }
    return out;
  }

  const std::vector<std::string>& errors() const { return errors_; }

 private:
  static std::string Join(const std::string& path, const std::string& key) {
    return path.empty() ? key : absl::StrCat(path, ".", key);
  }

  void Fail(const std::string& path, const std::string& value,
            const std::string& accepted) {
    errors_.push_back(
        absl::StrCat(path, ": \"", value, "\"; accepted: ", accepted));
  }

  json Field(const YAML::Node& node, const FieldDescriptor* field,
             const std::string& path) {
    if (field->is_map()) {
      const FieldDescriptor* value_field = field->message_type()->map_value();
      json out = json::object();
      if (node.IsNull()) return out;
      if (!node.IsMap()) {
        Fail(path, "(not a mapping)", "a mapping");
        return out;
      }
      for (const auto& entry : node) {
        std::string key = entry.first.as<std::string>();
        out[key] = Single(entry.second, value_field,
                          absl::StrCat(path, "[", key, "]"));
      }
      return out;
    }
    if (field->is_repeated()) {
      json out = json::array();
      if (node.IsNull()) return out;
      if (!node.IsSequence()) {
        Fail(path, "(not a list)", "a list");
        return out;
      }
      for (size_t i = 0; i < node.size(); ++i) {
        out.push_back(Single(node[i], field, absl::StrCat(path, "[", i, "]")));
      }
      return out;
    }
    return Single(node, field, path);
  }

  json Single(const YAML::Node& node, const FieldDescriptor* field,
              const std::string& path) {
    if (field->type() == FieldDescriptor::TYPE_MESSAGE) {
      return Message(node, field->message_type(), path);
    }
    if (!node.IsScalar()) {
      Fail(path, "(not a scalar)", "a single value");
      return nullptr;
    }
    const std::string& text = node.Scalar();
    switch (field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
      case FieldDescriptor::CPPTYPE_ENUM:
        return text;
      case FieldDescriptor::CPPTYPE_BOOL:
        if (text == "true" || text == "True") return true;
        if (text == "false" || text == "False") return false;
        Fail(path, text, "true or false");
        return nullptr;
      case FieldDescriptor::CPPTYPE_INT32:
      case FieldDescriptor::CPPTYPE_INT64: {
        long long value = 0;
        if (!YAML::convert<long long>::decode(node, value)) {
          Fail(path, text, "a whole number");
          return nullptr;
        }
        return value;
      }
      case FieldDescriptor::CPPTYPE_UINT32:
      case FieldDescriptor::CPPTYPE_UINT64: {
        unsigned long long value = 0;
        if (text.empty() || text[0] == '-' ||
            !YAML::convert<unsigned long long>::decode(node, value)) {
          Fail(path, text, "a whole number, 0 or more");
          return nullptr;
        }
        return value;
      }
      default: {
        double value = 0;
        if (!YAML::convert<double>::decode(node, value)) {
          Fail(path, text, "a number");
          return nullptr;
        }
        return value;
      }
    }
  }

  std::vector<std::string> errors_;
};

}  // namespace

absl::Status ParseSpecText(const std::string& text,
                           google::protobuf::Message* message) {
  message->Clear();
  // Every string of the spec becomes a protobuf string, which must be
  // UTF-8: say where the file is not, before parsing it.
  if (size_t bad = util::FirstInvalidUtf8(text); bad != std::string::npos) {
    size_t line = 1 + static_cast<size_t>(
                          std::count(text.begin(), text.begin() + bad, '\n'));
    size_t line_start = text.rfind('\n', bad == 0 ? 0 : bad - 1);
    size_t column = line_start == std::string::npos || bad == 0
                        ? bad + 1
                        : bad - line_start;
    return absl::InvalidArgumentError(absl::StrCat(
        "not valid UTF-8 at line ", line, ", byte ", column, " (0x",
        absl::Hex(static_cast<unsigned char>(text[bad]), absl::kZeroPad2),
        "); accepted: UTF-8 text (YAML or JSON)"));
  }
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("not valid YAML or JSON (line ", e.mark.line + 1,
                     ", column ", e.mark.column + 1, "): ", e.msg));
  }
  Converter converter;
  json doc;
  try {
    doc = converter.Message(root, message->GetDescriptor(), "spec");
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        "line ", e.mark.line + 1, ", column ", e.mark.column + 1, ": ", e.msg,
        "; accepted: the shape of client/examples/cluster.yaml"));
  }
  if (!converter.errors().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        converter.errors().size(), " problem(s) in the spec file:\n- ",
        absl::StrJoin(converter.errors(), "\n- ")));
  }
  google::protobuf::util::JsonParseOptions options;
  std::string doc_text;
  try {
    doc_text = doc.dump();
  } catch (const json::exception& e) {  // defensive: the text was checked
    return absl::InvalidArgumentError(absl::StrCat("spec file: ", e.what()));
  }
  auto status =
      google::protobuf::util::JsonStringToMessage(doc_text, message, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("spec file: ", std::string(status.message())));
  }
  return absl::OkStatus();
}

absl::Status ReadSpecFile(const std::string& path,
                          google::protobuf::Message* message) {
  std::ostringstream buffer;
  if (path == "-") {
    buffer << std::cin.rdbuf();
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
    buffer << in.rdbuf();
  }
  absl::Status status = ParseSpecText(buffer.str(), message);
  if (!status.ok()) {
    return absl::Status(status.code(),
                        absl::StrCat(path, ": ", status.message()));
  }
  return absl::OkStatus();
}

absl::Status ReadClusterSpec(const std::string& path,
                             const std::string& stack_id,
                             magnum::capi::bridge::v1::ClusterSpec* spec) {
  absl::Status read = ReadSpecFile(path, spec);
  if (read.ok() && !stack_id.empty()) {
    spec->mutable_cluster()->set_stack_id(stack_id);
  }
  return read;
}

}  // namespace capi_bridge::client
