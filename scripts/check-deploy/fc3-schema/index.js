// `s verify` loads each resource's component and validates its props
// against the JSON schema the component's getSchema() returns (as a string).
// The real fc3 component comes from the Serverless Devs registry, which this
// project's machines cannot reach; scripts/check-deploy.sh points a copy of
// s.yaml at this directory instead, so the Serverless Devs CLI itself
// validates the props against schema.json.
const fs = require("fs");
const path = require("path");

module.exports = class {
  getSchema() {
    return fs.readFileSync(path.join(__dirname, "schema.json"), "utf8");
  }
};
