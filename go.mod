module github.com/litbook/litbook

go 1.26.8

require (
	github.com/pelletier/go-toml/v2 v2.4.3
	github.com/yuin/goldmark v1.8.7
	golang.org/x/sys v0.49.0
)
