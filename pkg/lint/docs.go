package lint

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// doc is one YAML or JSON document of a file: its node tree (for lines)
// and its value as JSON-compatible data.
type doc struct {
	file string
	root *yaml.Node // the top-level node (not the document node)
	// value is the decoded document: maps, slices, strings, float64, bool.
	value map[string]any
}

// parseDocs splits a file into documents. yaml.v3 reads JSON too and keeps
// its lines; a .json file YAML refuses (tab-indented JSON) is read by
// encoding/json, with every location on line 1.
func parseDocs(file string, data []byte) ([]doc, error) {
	var out []doc
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for i := 0; ; i++ {
		if i >= MaxDocs {
			return out, fmt.Errorf("more than %d documents", MaxDocs)
		}
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			if strings.HasSuffix(strings.ToLower(file), ".json") && len(out) == 0 {
				return jsonDoc(file, data)
			}
			return out, fmt.Errorf("document %d: %w", i+1, err)
		}
		if len(n.Content) == 0 || n.Content[0].Kind != yaml.MappingNode {
			continue // empty document, or a scalar or list lint has no use for
		}
		v, err := jsonValue(n.Content[0])
		if err != nil {
			return out, fmt.Errorf("document %d: %w", i+1, err)
		}
		out = append(out, doc{file: file, root: n.Content[0], value: v})
	}
}

// jsonDoc reads a JSON file encoding/json accepts but YAML does not.
func jsonDoc(file string, data []byte) ([]doc, error) {
	var v map[string]any
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("not YAML or JSON: %w", err)
	}
	return []doc{{file: file, root: &yaml.Node{Kind: yaml.MappingNode, Line: 1, Column: 1}, value: v}}, nil
}

// jsonValue decodes a node into JSON-compatible data (what Kubernetes'
// unstructured objects and encoding/json expect): mapping keys must be
// strings, numbers become float64 or int64.
func jsonValue(n *yaml.Node) (map[string]any, error) {
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("not representable as JSON (non-string keys?): %w", err)
	}
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}

// child returns the value node of key in a mapping node, or nil.
func child(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// keyNode returns the key node of key in a mapping node (its line is where
// the entry starts), or nil.
func keyNode(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i]
		}
	}
	return nil
}

// pointer resolves a JSON pointer (/spec/experiments/0/spec) in a node
// tree; it returns the deepest node it reached, so a path that goes past
// the file's content still points near it.
func pointer(n *yaml.Node, ptr string) *yaml.Node {
	if ptr == "" || ptr == "/" {
		return n
	}
	cur := n
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		var next *yaml.Node
		switch cur.Kind {
		case yaml.MappingNode:
			next = child(cur, tok)
		case yaml.SequenceNode:
			if i, err := strconv.Atoi(tok); err == nil && i >= 0 && i < len(cur.Content) {
				next = cur.Content[i]
			}
		}
		if next == nil {
			return cur
		}
		cur = next
	}
	return cur
}

// str returns m[key] as a string ("" when absent or not a string).
func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

// obj returns m[key] as a map (nil when absent or not a map).
func obj(m map[string]any, key string) map[string]any {
	o, _ := m[key].(map[string]any)
	return o
}
