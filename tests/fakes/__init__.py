"""Local fakes of the outside services, served over real HTTP on 127.0.0.1 (see `http_server`)."""
