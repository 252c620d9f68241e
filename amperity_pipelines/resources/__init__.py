from amperity_pipelines.resources.lakehouse import LakehouseResource

__all__ = ["LakehouseResource"]
